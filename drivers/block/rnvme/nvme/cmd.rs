// SPDX-License-Identifier: GPL-2.0

//! NVMe submission and completion queue entries, after the NVMe 2.0 base specification
//! (sections 4.2 and 4.2.3) and the NVM command set specification.
//!
//! [`Command`] is the 64-byte submission queue entry and [`Completion`] the 16-byte completion
//! queue entry, laid out as the controller reads and writes them: both are `#[repr(C)]`, hold
//! their fields in little-endian byte order, and derive `FromBytes` and `IntoBytes` so they can be
//! copied to and from coherent DMA memory. Builders fill in one command each; the command
//! identifier is set separately with [`Command::set_cid`] when the command is queued.
//!
//! [`Status`] decodes the status field of a completion and maps it to a [`BlkStatus`].
//!
//! Everything here is pure: no function touches the hardware.

use kernel::prelude::*;

use super::ring::{
    MAX_DEPTH,
    MIN_DEPTH, //
};

/// Admin command set opcodes.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AdminOpcode {
    /// Delete I/O Submission Queue.
    DeleteSq = 0x00,
    /// Create I/O Submission Queue.
    CreateSq = 0x01,
    /// Delete I/O Completion Queue.
    DeleteCq = 0x04,
    /// Create I/O Completion Queue.
    CreateCq = 0x05,
    /// Identify.
    Identify = 0x06,
    /// Set Features.
    SetFeatures = 0x09,
    /// Doorbell Buffer Config.
    DoorbellBufferConfig = 0x7c,
}

/// NVM command set (I/O) opcodes.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IoOpcode {
    /// Flush.
    Flush = 0x00,
    /// Write.
    Write = 0x01,
    /// Read.
    Read = 0x02,
    /// Write Zeroes.
    WriteZeroes = 0x08,
    /// Dataset Management.
    DatasetManagement = 0x09,
}

/// Identify CNS value: Identify Namespace data structure for the given namespace.
pub(crate) const CNS_NAMESPACE: u8 = 0x00;
/// Identify CNS value: Identify Controller data structure.
pub(crate) const CNS_CONTROLLER: u8 = 0x01;
/// Identify CNS value: active namespace ID list, namespaces above the given NSID.
pub(crate) const CNS_ACTIVE_NS_LIST: u8 = 0x02;
/// Identify CNS value: Namespace Identification Descriptor list of the given namespace.
pub(crate) const CNS_NS_DESCRIPTORS: u8 = 0x03;
/// Identify CNS value: the I/O command set specific Identify Controller data structure (of the
/// NVM command set, whose CSI is 0).
pub(crate) const CNS_CTRL_NVM: u8 = 0x06;

/// Feature identifier: Number of Queues.
pub(crate) const FEAT_NUM_QUEUES: u8 = 0x07;
/// Feature identifier: Host Behavior Support (a 512-byte data structure whose byte 0 is ACRE,
/// Advanced Command Retry Enable).
pub(crate) const FEAT_HOST_BEHAVIOR: u8 = 0x16;

/// A submission queue slot as it sits in DMA memory: the 64 bytes of a [`Command`], as eight
/// quadwords in memory (little-endian) byte order.
pub(crate) type SqEntry = [u64; 8];
/// A completion queue slot as it sits in DMA memory: the 16 bytes of a [`Completion`], as four
/// dwords in memory (little-endian) byte order.
pub(crate) type CqEntry = [u32; 4];
/// Index, in a [`CqEntry`], of the dword holding the phase tag and the status (DW3).
pub(crate) const CQE_STATUS_DWORD: usize = 3;

/// Read/Write CDW12: Force Unit Access.
const RW_FUA: u32 = 1 << 30;
/// Write Zeroes CDW12 bit: Deallocate the blocks (they then read as zeroes).
const WZ_DEAC: u32 = 1 << 25;
/// Dataset Management CDW11 bit: Attribute Deallocate.
const DSM_AD: u32 = 1 << 2;

/// Most ranges of one Dataset Management command: NR is 8 bits, 0's based.
pub(crate) const DSM_MAX_RANGES: usize = 256;

/// Returns a Dataset Management range of `nlb` logical blocks (not 0's based) from `slba`,
/// without context attributes, as the two little-endian quadwords of its 16 bytes.
pub(crate) const fn dsm_range(slba: u64, nlb: u32) -> [u64; 2] {
    // Context attributes in bytes 3:0, the length in 7:4, the first block in 15:8.
    [((nlb as u64) << 32).to_le(), slba.to_le()]
}
/// Create I/O queue CDW11: Physically Contiguous.
const QUEUE_PC: u32 = 1 << 0;
/// Create I/O Completion Queue CDW11: Interrupts Enabled.
const CQ_IEN: u32 = 1 << 1;

/// Returns the low and high dwords of `v`.
const fn split(v: u64) -> (u32, u32) {
    // CAST: keeping the low 32 bits is the point.
    (v as u32, (v >> 32) as u32)
}

/// Returns `CDW10` of the queue creation commands: the queue identifier and the 0's based size.
fn queue_dw10(qid: u16, depth: u32) -> Result<u32> {
    if qid == 0 || !(MIN_DEPTH..=MAX_DEPTH).contains(&depth) {
        return Err(EINVAL);
    }
    Ok(((depth - 1) << 16) | u32::from(qid))
}

/// A submission queue entry (64 bytes).
///
/// Fields hold little-endian values, as the controller reads them; use the accessors.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes)]
pub(crate) struct Command {
    /// Opcode (7:0), fused operation (9:8), PRP or SGL (15:14), command identifier (31:16).
    cdw0: u32,
    nsid: u32,
    cdw2: u32,
    cdw3: u32,
    mptr: u64,
    prp1: u64,
    prp2: u64,
    cdw10: u32,
    cdw11: u32,
    cdw12: u32,
    cdw13: u32,
    cdw14: u32,
    cdw15: u32,
}

impl Command {
    /// Returns a command with `opcode` for namespace `nsid`, every other field zero.
    const fn new(opcode: u8, nsid: u32) -> Self {
        Self {
            cdw0: (opcode as u32).to_le(),
            nsid: nsid.to_le(),
            cdw2: 0,
            cdw3: 0,
            mptr: 0,
            prp1: 0,
            prp2: 0,
            cdw10: 0,
            cdw11: 0,
            cdw12: 0,
            cdw13: 0,
            cdw14: 0,
            cdw15: 0,
        }
    }

    const fn with_prps(mut self, prp1: u64, prp2: u64) -> Self {
        self.prp1 = prp1.to_le();
        self.prp2 = prp2.to_le();
        self
    }

    const fn with_dw10(mut self, v: u32) -> Self {
        self.cdw10 = v.to_le();
        self
    }

    const fn with_dw11(mut self, v: u32) -> Self {
        self.cdw11 = v.to_le();
        self
    }

    const fn with_dw12(mut self, v: u32) -> Self {
        self.cdw12 = v.to_le();
        self
    }

    /// Returns a read or write of `nlb + 1` blocks from `slba`.
    const fn rw(
        opcode: IoOpcode,
        nsid: u32,
        slba: u64,
        nlb: u16,
        prp1: u64,
        prp2: u64,
        fua: bool,
    ) -> Self {
        let (lo, hi) = split(slba);
        let fua = if fua { RW_FUA } else { 0 };
        Self::new(opcode as u8, nsid)
            .with_prps(prp1, prp2)
            .with_dw10(lo)
            .with_dw11(hi)
            .with_dw12(fua | nlb as u32)
    }

    /// Returns a Read of `nlb_zero_based + 1` logical blocks from `slba` into the buffer
    /// described by `prp1` and `prp2`, optionally with Force Unit Access.
    pub(crate) const fn read(
        nsid: u32,
        slba: u64,
        nlb_zero_based: u16,
        prp1: u64,
        prp2: u64,
        fua: bool,
    ) -> Self {
        Self::rw(IoOpcode::Read, nsid, slba, nlb_zero_based, prp1, prp2, fua)
    }

    /// Returns a Write of `nlb_zero_based + 1` logical blocks at `slba` from the buffer
    /// described by `prp1` and `prp2`, optionally with Force Unit Access.
    pub(crate) const fn write(
        nsid: u32,
        slba: u64,
        nlb_zero_based: u16,
        prp1: u64,
        prp2: u64,
        fua: bool,
    ) -> Self {
        Self::rw(IoOpcode::Write, nsid, slba, nlb_zero_based, prp1, prp2, fua)
    }

    /// Returns a Write Zeroes of `nlb_zero_based + 1` logical blocks at `slba`; with `deallocate`
    /// the controller may deallocate them instead (DEAC).
    pub(crate) const fn write_zeroes(
        nsid: u32,
        slba: u64,
        nlb_zero_based: u16,
        deallocate: bool,
    ) -> Self {
        let (lo, hi) = split(slba);
        let deac = if deallocate { WZ_DEAC } else { 0 };
        Self::new(IoOpcode::WriteZeroes as u8, nsid)
            .with_dw10(lo)
            .with_dw11(hi)
            .with_dw12(deac | nlb_zero_based as u32)
    }

    /// Returns a Dataset Management that deallocates the `ranges` ranges ([`dsm_range`]) in the
    /// buffer at `prp1` (16 bytes each, not crossing a memory page).
    ///
    /// # Errors
    ///
    /// `EINVAL` if `ranges` is 0 or above [`DSM_MAX_RANGES`].
    pub(crate) fn deallocate(nsid: u32, ranges: usize, prp1: u64) -> Result<Self> {
        if ranges == 0 || ranges > DSM_MAX_RANGES {
            return Err(EINVAL);
        }
        // CAST: at most 255.
        let nr = (ranges - 1) as u32;
        Ok(Self::new(IoOpcode::DatasetManagement as u8, nsid)
            .with_prps(prp1, 0)
            .with_dw10(nr)
            .with_dw11(DSM_AD))
    }

    /// Returns a Flush of namespace `nsid`'s volatile write cache.
    pub(crate) const fn flush(nsid: u32) -> Self {
        Self::new(IoOpcode::Flush as u8, nsid)
    }

    /// Returns an Identify of data structure `cns` (such as [`CNS_CONTROLLER`]) for `nsid`,
    /// returned in the page at `prp1` (4096 bytes, which must not cross a memory page).
    pub(crate) const fn identify(cns: u8, nsid: u32, prp1: u64) -> Self {
        Self::new(AdminOpcode::Identify as u8, nsid)
            .with_prps(prp1, 0)
            .with_dw10(cns as u32)
    }

    /// Returns a Set Features of feature `fid` with value `dw11`.
    pub(crate) const fn set_features(fid: u8, dw11: u32) -> Self {
        Self::new(AdminOpcode::SetFeatures as u8, 0)
            .with_dw10(fid as u32)
            .with_dw11(dw11)
    }

    /// Returns a Set Features (Host Behavior Support) whose 512-byte data structure is at
    /// `prp1`.
    pub(crate) const fn set_host_behavior(prp1: u64) -> Self {
        Self::set_features(FEAT_HOST_BEHAVIOR, 0).with_prps(prp1, 0)
    }

    /// Returns a Set Features (Number of Queues) asking for `nsqr + 1` I/O submission and
    /// `ncqr + 1` I/O completion queues (both 0's based).
    ///
    /// The completion's result holds what was allocated; see [`num_queues_allocated`].
    pub(crate) const fn set_num_queues(nsqr: u16, ncqr: u16) -> Self {
        Self::set_features(FEAT_NUM_QUEUES, ((ncqr as u32) << 16) | nsqr as u32)
    }

    /// Returns a Create I/O Completion Queue `qid` of `depth` entries at `prp1` (physically
    /// contiguous), signalling MSI-X/MSI vector `vector` if `irq_enabled`.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `qid` is 0 (the admin queue) or `depth` is not in `2..=65536`.
    pub(crate) fn create_cq(
        qid: u16,
        depth: u32,
        prp1: u64,
        vector: u16,
        irq_enabled: bool,
    ) -> Result<Self> {
        let ien = if irq_enabled { CQ_IEN } else { 0 };
        Ok(Self::new(AdminOpcode::CreateCq as u8, 0)
            .with_prps(prp1, 0)
            .with_dw10(queue_dw10(qid, depth)?)
            .with_dw11((u32::from(vector) << 16) | ien | QUEUE_PC))
    }

    /// Returns a Create I/O Submission Queue `qid` of `depth` entries at `prp1` (physically
    /// contiguous, medium priority unused with round robin) completing into queue `cqid`.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `qid` or `cqid` is 0 (the admin queue) or `depth` is not in `2..=65536`.
    pub(crate) fn create_sq(qid: u16, depth: u32, prp1: u64, cqid: u16) -> Result<Self> {
        if cqid == 0 {
            return Err(EINVAL);
        }
        Ok(Self::new(AdminOpcode::CreateSq as u8, 0)
            .with_prps(prp1, 0)
            .with_dw10(queue_dw10(qid, depth)?)
            .with_dw11((u32::from(cqid) << 16) | QUEUE_PC))
    }

    /// Returns a Delete I/O Submission Queue `qid`.
    pub(crate) const fn delete_sq(qid: u16) -> Self {
        Self::new(AdminOpcode::DeleteSq as u8, 0).with_dw10(qid as u32)
    }

    /// Returns a Delete I/O Completion Queue `qid`.
    pub(crate) const fn delete_cq(qid: u16) -> Self {
        Self::new(AdminOpcode::DeleteCq as u8, 0).with_dw10(qid as u32)
    }

    /// Returns a Doorbell Buffer Config with the shadow doorbell buffer at `shadow_prp` and the
    /// EventIdx buffer at `eventidx_prp` (each one memory page, page aligned).
    pub(crate) const fn doorbell_buffer_config(shadow_prp: u64, eventidx_prp: u64) -> Self {
        Self::new(AdminOpcode::DoorbellBufferConfig as u8, 0).with_prps(shadow_prp, eventidx_prp)
    }

    /// Sets the command identifier, which the completion echoes.
    pub(crate) fn set_cid(&mut self, cid: u16) {
        let cdw0 = u32::from_le(self.cdw0) & 0xffff;
        self.cdw0 = ((u32::from(cid) << 16) | cdw0).to_le();
    }

    /// Returns the opcode.
    pub(crate) fn opcode(&self) -> u8 {
        // CAST: the opcode is the low byte of CDW0.
        u32::from_le(self.cdw0) as u8
    }

    /// Returns the command as the submission queue slot the controller reads.
    pub(crate) fn to_entry(self) -> SqEntry {
        zerocopy::transmute!(self)
    }
}

/// Returns the queue counts, 1-based, that a Set Features (Number of Queues) completion
/// result reports allocated: `(submission queues, completion queues)`.
pub(crate) const fn num_queues_allocated(result: u32) -> (u32, u32) {
    ((result & 0xffff) + 1, (result >> 16) + 1)
}

/// A completion queue entry (16 bytes).
///
/// Fields hold little-endian values, as the controller writes them; use the accessors.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes)]
pub(crate) struct Completion {
    result: u32,
    dw1: u32,
    sq_head: u16,
    sq_id: u16,
    cid: u16,
    /// Phase tag (bit 0) and status field (15:1).
    status: u16,
}

impl Completion {
    /// Returns the command specific result (DW0).
    pub(crate) fn result(&self) -> u32 {
        u32::from_le(self.result)
    }

    /// Returns the submission queue head pointer the controller reports.
    pub(crate) fn sq_head(&self) -> u16 {
        u16::from_le(self.sq_head)
    }

    /// Returns the identifier of the completed command.
    pub(crate) fn cid(&self) -> u16 {
        u16::from_le(self.cid)
    }

    /// Returns the upper half of DW3: phase tag in bit 0, status field in bits 15:1.
    pub(crate) fn status_with_phase(&self) -> u16 {
        u16::from_le(self.status)
    }

    /// Returns the status field.
    pub(crate) fn status(&self) -> Status {
        Status::from_raw(self.status_with_phase() >> 1)
    }

    /// Returns the completion held in a completion queue slot.
    pub(crate) fn from_entry(entry: CqEntry) -> Self {
        zerocopy::transmute!(entry)
    }

    /// Returns the phase tag and status (see [`Completion::status_with_phase`]) from DW3 of a
    /// completion queue slot, as read from memory ([`CqEntry`] index [`CQE_STATUS_DWORD`]).
    ///
    /// This lets the completion path check the phase tag with one 32-bit read before it copies
    /// the rest of the entry.
    pub(crate) fn status_with_phase_of(dw3: u32) -> u16 {
        // CAST: the phase tag and status are the upper half of DW3.
        (u32::from_le(dw3) >> 16) as u16
    }
}

kernel::bitfield! {
    /// The 15-bit status field of a completion (DW3 bits 31:17, without the phase tag).
    pub(crate) struct Status(u16) {
        /// Do Not Retry.
        14:14   dnr => bool;
        /// More: more status information is in the Error Information log page.
        13:13   more => bool;
        /// Command Retry Delay: which of the controller's retry delay times applies.
        12:11   crd;
        /// Status Code Type.
        10:8    sct;
        /// Status Code.
        7:0     sc;
    }
}

/// Status codes by status code type (bits 10:8) and status code (7:0), the key of
/// [`Status::blk_status`], as the NVMe 2.0 base and NVM command set specifications number them.
mod sc {
    /// Generic: successful completion.
    pub(crate) const SUCCESS: u16 = 0x000;
    /// Generic: invalid command opcode.
    pub(crate) const INVALID_OPCODE: u16 = 0x001;
    /// Generic: invalid field in command.
    pub(crate) const INVALID_FIELD: u16 = 0x002;
    /// Generic: invalid namespace or format.
    pub(crate) const INVALID_NS: u16 = 0x00b;
    /// Generic: command interrupted.
    pub(crate) const CMD_INTERRUPTED: u16 = 0x021;
    /// Generic (NVM): LBA out of range.
    pub(crate) const LBA_RANGE: u16 = 0x080;
    /// Generic (NVM): capacity exceeded.
    pub(crate) const CAP_EXCEEDED: u16 = 0x081;
    /// Generic (NVM): namespace not ready.
    pub(crate) const NS_NOT_READY: u16 = 0x082;
    /// Generic (NVM): reservation conflict.
    pub(crate) const RESERVATION_CONFLICT: u16 = 0x083;
    /// Command specific (NVM): conflicting attributes.
    pub(crate) const BAD_ATTRIBUTES: u16 = 0x180;
    /// Command specific (NVM): invalid protection information.
    pub(crate) const INVALID_PI: u16 = 0x181;
    /// Command specific (NVM): attempted write to a read only range.
    pub(crate) const READ_ONLY: u16 = 0x182;
    /// Command specific (zoned): too many active zones.
    pub(crate) const ZONE_TOO_MANY_ACTIVE: u16 = 0x1bd;
    /// Command specific (zoned): too many open zones.
    pub(crate) const ZONE_TOO_MANY_OPEN: u16 = 0x1be;
    /// Media: write fault.
    pub(crate) const WRITE_FAULT: u16 = 0x280;
    /// Media: unrecovered read error.
    pub(crate) const READ_ERROR: u16 = 0x281;
    /// Media: end-to-end guard check error.
    pub(crate) const GUARD_CHECK: u16 = 0x282;
    /// Media: end-to-end application tag check error.
    pub(crate) const APPTAG_CHECK: u16 = 0x283;
    /// Media: end-to-end reference tag check error.
    pub(crate) const REFTAG_CHECK: u16 = 0x284;
    /// Media: compare failure.
    pub(crate) const COMPARE_FAILED: u16 = 0x285;
    /// Media: access denied.
    pub(crate) const ACCESS_DENIED: u16 = 0x286;
    /// Media: deallocated or unwritten logical block.
    pub(crate) const UNWRITTEN_BLOCK: u16 = 0x287;
    /// Path: host pathing error.
    pub(crate) const HOST_PATH_ERROR: u16 = 0x370;
}

/// Outcome of a request for the block layer, decided by [`Status::blk_status`].
///
/// A driver-local mirror of the `BLK_STS_*` codes the driver uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BlkStatus {
    /// Success.
    Ok,
    /// Generic I/O error.
    IoErr,
    /// The operation is not supported.
    NotSupp,
    /// Medium error: the data could not be read or written.
    Medium,
    /// Protection information check failed.
    Protection,
    /// Out of space (thin provisioning).
    NoSpace,
    /// The target rejected the request itself; retrying elsewhere will not help.
    Target,
    /// Path or transport error; another path may succeed.
    Transport,
    /// A reservation held by another host conflicts with the request.
    ResvConflict,
    /// Too many active zones.
    ZoneActiveResource,
    /// Too many open zones.
    ZoneOpenResource,
}

impl BlkStatus {
    /// Returns the kernel error that ends a request with this outcome: the block layer turns
    /// it back into the matching `BLK_STS_*` code (`errno_to_blk_status`).
    pub(crate) fn to_result(self) -> Result {
        match self {
            Self::Ok => Ok(()),
            Self::IoErr => Err(EIO),
            Self::NotSupp => Err(EOPNOTSUPP),
            Self::Medium => Err(ENODATA),
            Self::Protection => Err(EILSEQ),
            Self::NoSpace => Err(ENOSPC),
            Self::Target => Err(EREMOTEIO),
            Self::Transport => Err(ENOLINK),
            Self::ResvConflict => Err(EBADE),
            Self::ZoneActiveResource => Err(EOVERFLOW),
            Self::ZoneOpenResource => Err(ETOOMANYREFS),
        }
    }
}

/// What to do with a request the controller completed, decided by [`Status::disposition`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Disposition {
    /// End the request with this outcome.
    End(BlkStatus),
    /// Dispatch the request again after this many milliseconds.
    Retry(u32),
}

/// Unit of the controller's Command Retry Delay Times, in milliseconds.
const CRDT_UNIT_MS: u32 = 100;

impl Status {
    /// Returns the status code type.
    pub(crate) fn code_type(self) -> u8 {
        self.sct().into()
    }

    /// Returns the status code.
    pub(crate) fn code(self) -> u8 {
        self.sc().into()
    }

    /// Returns the status code type and status code as one key, `SCT << 8 | SC`.
    fn key(self) -> u16 {
        (u16::from(self.code_type()) << 8) | u16::from(self.code())
    }

    /// Returns whether the command completed successfully.
    pub(crate) fn is_success(self) -> bool {
        self.key() == sc::SUCCESS
    }

    /// Maps the status to the block layer's view of it, as nvme-pci (`nvme_error_status`)
    /// does: the status code type and code decide, the Do Not Retry, More and retry delay
    /// bits do not. Every code without an entry, vendor specific ones included, is
    /// [`BlkStatus::IoErr`].
    pub(crate) fn blk_status(self) -> BlkStatus {
        match self.key() {
            sc::SUCCESS => BlkStatus::Ok,
            sc::CAP_EXCEEDED => BlkStatus::NoSpace,
            sc::LBA_RANGE | sc::CMD_INTERRUPTED | sc::NS_NOT_READY => BlkStatus::Target,
            sc::BAD_ATTRIBUTES | sc::INVALID_OPCODE | sc::INVALID_FIELD | sc::INVALID_NS => {
                BlkStatus::NotSupp
            }
            sc::WRITE_FAULT
            | sc::READ_ERROR
            | sc::UNWRITTEN_BLOCK
            | sc::ACCESS_DENIED
            | sc::READ_ONLY
            | sc::COMPARE_FAILED => BlkStatus::Medium,
            sc::GUARD_CHECK | sc::APPTAG_CHECK | sc::REFTAG_CHECK | sc::INVALID_PI => {
                BlkStatus::Protection
            }
            sc::RESERVATION_CONFLICT => BlkStatus::ResvConflict,
            sc::HOST_PATH_ERROR => BlkStatus::Transport,
            sc::ZONE_TOO_MANY_ACTIVE => BlkStatus::ZoneActiveResource,
            sc::ZONE_TOO_MANY_OPEN => BlkStatus::ZoneOpenResource,
            _ => BlkStatus::IoErr,
        }
    }

    /// Decides what becomes of a request that completed with this status after `retries`
    /// retries: an error is retried if the controller did not say Do Not Retry, the submitter
    /// allows retries (`may_retry`) and fewer than `max_retries` were made; the retry waits the
    /// Command Retry Delay Time the status selects (CRD 1 to 3, `crdt` in units of 100 ms), if
    /// any. Everything else ends with [`Status::blk_status`].
    pub(crate) fn disposition(
        self,
        retries: u8,
        max_retries: u8,
        may_retry: bool,
        crdt: &[u16; 3],
    ) -> Disposition {
        let status = self.blk_status();
        if status == BlkStatus::Ok || self.dnr() || !may_retry || retries >= max_retries {
            return Disposition::End(status);
        }
        let delay = usize::from(u8::from(self.crd()))
            .checked_sub(1)
            .and_then(|i| crdt.get(i))
            .map_or(0, |&t| u32::from(t) * CRDT_UNIT_MS);
        Disposition::Retry(delay)
    }
}

#[cfg(CONFIG_RNVME_KUNIT_TEST)]
#[kunit_tests(rnvme_cmd)]
mod tests {
    use super::*;

    // Accessors only the tests read.
    impl Command {
        /// Returns the command identifier.
        fn cid(&self) -> u16 {
            // CAST: the command identifier is the upper half of CDW0.
            (u32::from_le(self.cdw0) >> 16) as u16
        }

        /// Returns the namespace identifier.
        fn nsid(&self) -> u32 {
            u32::from_le(self.nsid)
        }

        /// Returns data pointer PRP entry 1.
        fn prp1(&self) -> u64 {
            u64::from_le(self.prp1)
        }

        /// Returns data pointer PRP entry 2.
        fn prp2(&self) -> u64 {
            u64::from_le(self.prp2)
        }

        /// Returns the command specific dwords 10 to 15, in CPU byte order.
        fn cdw10_15(&self) -> [u32; 6] {
            [
                u32::from_le(self.cdw10),
                u32::from_le(self.cdw11),
                u32::from_le(self.cdw12),
                u32::from_le(self.cdw13),
                u32::from_le(self.cdw14),
                u32::from_le(self.cdw15),
            ]
        }
    }

    impl Completion {
        /// Returns a completion entry with these fields; `status_with_phase` is the upper half of
        /// DW3: phase tag in bit 0, status field above.
        const fn new(
            result: u32,
            sq_head: u16,
            sq_id: u16,
            cid: u16,
            status_with_phase: u16,
        ) -> Self {
            Self {
                result: result.to_le(),
                dw1: 0,
                sq_head: sq_head.to_le(),
                sq_id: sq_id.to_le(),
                cid: cid.to_le(),
                status: status_with_phase.to_le(),
            }
        }

        /// Returns the submission queue the command came from.
        fn sq_id(&self) -> u16 {
            u16::from_le(self.sq_id)
        }

        /// Returns the phase tag.
        fn phase(&self) -> bool {
            self.status_with_phase() & 1 != 0
        }
    }

    /// Returns dword `i` of the command as the controller reads it from memory.
    fn dw(cmd: &Command, i: usize) -> u32 {
        let mut copy = *cmd;
        let bytes = copy.as_mut_bytes();
        u32::from_le_bytes([
            bytes[4 * i],
            bytes[4 * i + 1],
            bytes[4 * i + 2],
            bytes[4 * i + 3],
        ])
    }

    /// Returns a completion from the 16 bytes the controller writes, given as four dwords.
    fn completion(dws: [u32; 4]) -> Completion {
        let mut bytes = [0u8; 16];
        for (i, d) in dws.iter().enumerate() {
            bytes[4 * i..4 * i + 4].copy_from_slice(&d.to_le_bytes());
        }
        Completion::read_from_bytes(&bytes).unwrap_or(Completion::new(0, 0, 0, 0, 0))
    }

    /// Returns a status field (without phase) from its parts.
    fn status(sct: u16, sc: u16, dnr: bool) -> Status {
        Status::from_raw((u16::from(dnr) << 14) | (sct << 8) | sc)
    }

    #[test]
    fn entry_sizes() -> Result {
        assert_eq!(size_of::<Command>(), 64);
        assert_eq!(size_of::<Completion>(), 16);
        Ok(())
    }

    #[test]
    fn read_write_layout() -> Result {
        let mut cmd = Command::read(1, 0x1_2345_6789, 7, 0xaaaa_b000, 0xcccc_d000_1000, false);
        cmd.set_cid(0xbeef);
        assert_eq!(dw(&cmd, 0), 0xbeef_0002);
        assert_eq!(dw(&cmd, 1), 1);
        assert_eq!(dw(&cmd, 2), 0);
        assert_eq!(dw(&cmd, 4), 0);
        assert_eq!(dw(&cmd, 6), 0xaaaa_b000);
        assert_eq!(dw(&cmd, 7), 0);
        assert_eq!(dw(&cmd, 8), 0xd000_1000);
        assert_eq!(dw(&cmd, 9), 0xcccc);
        assert_eq!(dw(&cmd, 10), 0x2345_6789);
        assert_eq!(dw(&cmd, 11), 0x1);
        assert_eq!(dw(&cmd, 12), 7);
        assert_eq!(dw(&cmd, 13), 0);
        assert_eq!(cmd.opcode(), 0x02);
        assert_eq!(cmd.cid(), 0xbeef);
        assert_eq!(cmd.prp1(), 0xaaaa_b000);
        assert_eq!(cmd.prp2(), 0xcccc_d000_1000);

        let cmd = Command::write(0xffff_fffe, u64::MAX, 0xffff, 0x1000, 0, true);
        assert_eq!(dw(&cmd, 0), 0x01);
        assert_eq!(cmd.nsid(), 0xffff_fffe);
        assert_eq!(dw(&cmd, 10), u32::MAX);
        assert_eq!(dw(&cmd, 11), u32::MAX);
        // FUA in bit 30, the 0's based block count below, nothing else.
        assert_eq!(dw(&cmd, 12), 0x4000_ffff);
        assert_eq!(cmd.cdw10_15(), [u32::MAX, u32::MAX, 0x4000_ffff, 0, 0, 0]);
        Ok(())
    }

    #[test]
    fn discard_commands() -> Result {
        let cmd = Command::write_zeroes(5, 0x1_0000_0002, 0xffff, false);
        assert_eq!(cmd.opcode(), 0x08);
        assert_eq!(cmd.nsid(), 5);
        assert_eq!(cmd.cdw10_15(), [2, 1, 0xffff, 0, 0, 0]);
        assert_eq!((cmd.prp1(), cmd.prp2()), (0, 0));
        let cmd = Command::write_zeroes(5, 8, 7, true);
        assert_eq!(cmd.cdw10_15(), [8, 0, (1 << 25) | 7, 0, 0, 0]);

        let cmd = Command::deallocate(7, 1, 0xabc0_0000)?;
        assert_eq!(cmd.opcode(), 0x09);
        assert_eq!(cmd.nsid(), 7);
        assert_eq!((cmd.prp1(), cmd.prp2()), (0xabc0_0000, 0));
        // NR is 0's based; the Deallocate attribute is bit 2 of CDW11.
        assert_eq!(cmd.cdw10_15(), [0, 4, 0, 0, 0, 0]);
        assert_eq!(Command::deallocate(7, 256, 0)?.cdw10_15()[0], 255);
        assert_eq!(Command::deallocate(7, 0, 0).err(), Some(EINVAL));
        assert_eq!(Command::deallocate(7, 257, 0).err(), Some(EINVAL));

        // A range: context attributes, length (not 0's based), first block, little-endian.
        let r = dsm_range(0x0102_0304_0506_0708, 0x1122_3344);
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&u64::from_le(r[0]).to_le_bytes());
        bytes[8..].copy_from_slice(&u64::from_le(r[1]).to_le_bytes());
        assert_eq!(
            bytes,
            [0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11, 8, 7, 6, 5, 4, 3, 2, 1]
        );
        Ok(())
    }

    #[test]
    fn queue_slots() -> Result {
        // A command becomes its slot byte for byte: quadword i holds dwords 2i and 2i + 1.
        let mut cmd = Command::read(1, 0x1_2345_6789, 7, 0xaaaa_b000, 0xcccc_d000_1000, true);
        cmd.set_cid(0xbeef);
        let slot = cmd.to_entry();
        let qw = |i: usize| u64::from_le(slot[i]);
        for i in 0..8 {
            assert_eq!(
                qw(i),
                u64::from(dw(&cmd, 2 * i)) | u64::from(dw(&cmd, 2 * i + 1)) << 32
            );
        }
        assert_eq!(qw(0), 0x0000_0001_beef_0002);
        assert_eq!(qw(3), 0xaaaa_b000);
        assert_eq!(qw(4), 0xcccc_d000_1000);
        assert_eq!(qw(5), 0x0000_0001_2345_6789);
        assert_eq!(qw(6), 0x4000_0007);

        // A completion slot, as the controller writes it, read back into its fields.
        let slot: CqEntry = [0xdead_beef, 0, 0x0002_0005, 0x0003_1234].map(u32::to_le);
        let cqe = Completion::from_entry(slot);
        assert_eq!(cqe, completion([0xdead_beef, 0, 0x0002_0005, 0x0003_1234]));
        assert_eq!(cqe.result(), 0xdead_beef);
        assert_eq!(cqe.sq_head(), 5);
        assert_eq!(cqe.sq_id(), 2);
        assert_eq!(cqe.cid(), 0x1234);
        assert!(cqe.phase());
        assert_eq!(cqe.status().into_raw(), 1);

        // The phase check reads DW3 alone.
        let dw3 = slot[CQE_STATUS_DWORD];
        assert_eq!(
            Completion::status_with_phase_of(dw3),
            cqe.status_with_phase()
        );
        assert_eq!(
            Completion::status_with_phase_of(0xfffe_0000u32.to_le()),
            0xfffe
        );
        assert_eq!(Completion::status_with_phase_of(0x0001_ffffu32.to_le()), 1);
        Ok(())
    }

    #[test]
    fn cid_keeps_opcode() -> Result {
        let mut cmd = Command::flush(3);
        cmd.set_cid(0xffff);
        assert_eq!(dw(&cmd, 0), 0xffff_0000);
        cmd.set_cid(0x0001);
        assert_eq!(dw(&cmd, 0), 0x0001_0000);
        let mut cmd = Command::doorbell_buffer_config(0x1000, 0x2000);
        cmd.set_cid(0x1234);
        assert_eq!(cmd.opcode(), 0x7c);
        assert_eq!(cmd.cid(), 0x1234);
        assert_eq!(cmd.prp1(), 0x1000);
        assert_eq!(cmd.prp2(), 0x2000);
        assert_eq!(cmd.nsid(), 0);
        Ok(())
    }

    #[test]
    fn other_io_commands() -> Result {
        let cmd = Command::flush(5);
        assert_eq!(dw(&cmd, 0), 0x00);
        assert_eq!(dw(&cmd, 1), 5);
        assert_eq!(cmd.cdw10_15(), [0; 6]);
        Ok(())
    }

    #[test]
    fn admin_commands() -> Result {
        let cmd = Command::identify(CNS_CONTROLLER, 0, 0x7000);
        assert_eq!(dw(&cmd, 0), 0x06);
        assert_eq!(dw(&cmd, 6), 0x7000);
        assert_eq!(cmd.prp2(), 0);
        assert_eq!(dw(&cmd, 10), 1);
        let cmd = Command::identify(CNS_ACTIVE_NS_LIST, 4, 0x8000);
        assert_eq!(cmd.nsid(), 4);
        assert_eq!(dw(&cmd, 10), 2);

        let cmd = Command::set_num_queues(3, 7);
        assert_eq!(cmd.opcode(), 0x09);
        assert_eq!(cmd.cdw10_15()[..2], [0x07, 0x0007_0003]);
        assert_eq!(
            Command::set_num_queues(0xffff, 0).cdw10_15()[1],
            0x0000_ffff
        );
        assert_eq!(num_queues_allocated(0x0007_0003), (4, 8));
        assert_eq!(num_queues_allocated(0xffff_ffff), (65536, 65536));
        assert_eq!(num_queues_allocated(0), (1, 1));

        let cmd = Command::delete_sq(9);
        assert_eq!((cmd.opcode(), dw(&cmd, 10)), (0x00, 9));
        let cmd = Command::delete_cq(9);
        assert_eq!((cmd.opcode(), dw(&cmd, 10)), (0x04, 9));
        Ok(())
    }

    #[test]
    fn create_queues() -> Result {
        let cmd = Command::create_cq(1, 1024, 0x1_0000_0000, 3, true)?;
        assert_eq!(cmd.opcode(), 0x05);
        assert_eq!(dw(&cmd, 6), 0);
        assert_eq!(dw(&cmd, 7), 1);
        assert_eq!(dw(&cmd, 10), 0x03ff_0001);
        assert_eq!(dw(&cmd, 11), 0x0003_0003);
        let cmd = Command::create_cq(0xffff, 65536, 0x1000, 0, false)?;
        assert_eq!(dw(&cmd, 10), 0xffff_ffff);
        assert_eq!(dw(&cmd, 11), 0x0000_0001);

        let cmd = Command::create_sq(2, 2, 0x3000, 5)?;
        assert_eq!(cmd.opcode(), 0x01);
        assert_eq!(cmd.prp1(), 0x3000);
        assert_eq!(dw(&cmd, 10), 0x0001_0002);
        assert_eq!(dw(&cmd, 11), 0x0005_0001);

        assert_eq!(Command::create_cq(0, 32, 0x1000, 0, true), Err(EINVAL));
        assert_eq!(Command::create_cq(1, 1, 0x1000, 0, true), Err(EINVAL));
        assert_eq!(Command::create_cq(1, 65537, 0x1000, 0, true), Err(EINVAL));
        assert_eq!(Command::create_sq(0, 32, 0x1000, 1), Err(EINVAL));
        assert_eq!(Command::create_sq(1, 32, 0x1000, 0), Err(EINVAL));
        assert_eq!(Command::create_sq(1, 0, 0x1000, 1), Err(EINVAL));
        Ok(())
    }

    #[test]
    fn completion_fields() -> Result {
        // DW0 result, DW1 reserved, DW2 SQID:SQHD, DW3 status:P:CID.
        let cqe = completion([0xdead_beef, 0, 0x0002_0005, 0x0001_1234]);
        assert_eq!(cqe.result(), 0xdead_beef);
        assert_eq!(cqe.sq_head(), 5);
        assert_eq!(cqe.sq_id(), 2);
        assert_eq!(cqe.cid(), 0x1234);
        assert!(cqe.phase());
        assert_eq!(cqe.status_with_phase(), 1);
        assert!(cqe.status().is_success());

        // Phase clear, DNR, SCT 0, SC 0x02 (invalid field).
        let cqe = completion([0, 0, 0, (0x8004 << 16) | 0xffff]);
        assert!(!cqe.phase());
        assert_eq!(cqe.cid(), 0xffff);
        let st = cqe.status();
        assert!(st.dnr());
        assert_eq!(st.code_type(), 0);
        assert_eq!(st.key(), sc::INVALID_FIELD);
        assert!(!st.is_success());

        // Every status bit set, phase clear.
        let st = completion([0, 0, 0, 0xfffe_0000]).status();
        assert_eq!(st.into_raw(), 0x7fff);
        assert!(st.more());
        assert_eq!(st.crd(), 3);
        assert_eq!(st.code_type(), 7);
        assert_eq!(st.code(), 0xff);

        assert_eq!(
            Completion::new(1, 2, 3, 4, 5),
            completion([1, 0, 0x0003_0002, 0x0005_0004])
        );
        Ok(())
    }

    #[test]
    fn status_field_bits() -> Result {
        // SC in bits 24:17 of DW3, SCT in 27:25, CRD in 29:28, M in 30, DNR in 31.
        let st = completion([0, 0, 0, 0x81 << 17]).status();
        assert_eq!((st.code_type(), st.code()), (0, 0x81));
        let st = completion([0, 0, 0, 2 << 25]).status();
        assert_eq!((st.code_type(), st.code()), (2, 0));
        let st = completion([0, 0, 0, 1 << 28]).status();
        assert_eq!(st.crd(), 1);
        assert!(!st.more());
        assert!(completion([0, 0, 0, 1 << 30]).status().more());
        assert!(completion([0, 0, 0, 1 << 31]).status().dnr());
        // The phase tag is not part of the status.
        assert!(completion([0, 0, 0, 1 << 16]).status().is_success());
        Ok(())
    }

    #[test]
    fn blk_status_errors() -> Result {
        assert_eq!(BlkStatus::Ok.to_result(), Ok(()));
        assert_eq!(BlkStatus::IoErr.to_result(), Err(EIO));
        assert_eq!(BlkStatus::NotSupp.to_result(), Err(EOPNOTSUPP));
        assert_eq!(BlkStatus::Medium.to_result(), Err(ENODATA));
        assert_eq!(BlkStatus::Protection.to_result(), Err(EILSEQ));
        assert_eq!(BlkStatus::NoSpace.to_result(), Err(ENOSPC));
        assert_eq!(BlkStatus::Target.to_result(), Err(EREMOTEIO));
        assert_eq!(BlkStatus::Transport.to_result(), Err(ENOLINK));
        assert_eq!(BlkStatus::ResvConflict.to_result(), Err(EBADE));
        assert_eq!(BlkStatus::ZoneActiveResource.to_result(), Err(EOVERFLOW));
        assert_eq!(BlkStatus::ZoneOpenResource.to_result(), Err(ETOOMANYREFS));
        Ok(())
    }

    #[test]
    fn blk_status_mapping() -> Result {
        use BlkStatus as B;
        // nvme-pci's table, entry by entry, by `SCT << 8 | SC`.
        let table: [(u16, BlkStatus); 24] = [
            (0x000, B::Ok),
            (0x081, B::NoSpace),
            (0x080, B::Target),
            (0x021, B::Target),
            (0x082, B::Target),
            (0x180, B::NotSupp),
            (0x001, B::NotSupp),
            (0x002, B::NotSupp),
            (0x00b, B::NotSupp),
            (0x280, B::Medium),
            (0x281, B::Medium),
            (0x287, B::Medium),
            (0x286, B::Medium),
            (0x182, B::Medium),
            (0x285, B::Medium),
            (0x282, B::Protection),
            (0x283, B::Protection),
            (0x284, B::Protection),
            (0x181, B::Protection),
            (0x083, B::ResvConflict),
            (0x370, B::Transport),
            (0x1bd, B::ZoneActiveResource),
            (0x1be, B::ZoneOpenResource),
            // Not in the table: an I/O error.
            (0x004, B::IoErr),
        ];
        for (key, want) in table {
            for dnr in [false, true] {
                assert_eq!(status(key >> 8, key & 0xff, dnr).blk_status(), want);
            }
        }
        // The same codes under another type mean something else; no other path status, no
        // vendor specific status, has an entry.
        for key in [
            0x101, 0x10b, 0x183, 0x200, 0x288, 0x300, 0x371, 0x381, 0x700, 0x7ff,
        ] {
            assert_eq!(status(key >> 8, key & 0xff, false).blk_status(), B::IoErr);
        }
        // The retry delay and More bits are not part of the key.
        assert_eq!(Status::from_raw((3 << 11) | 0x281).blk_status(), B::Medium);
        assert_eq!(Status::from_raw(1 << 13).blk_status(), B::Ok);
        Ok(())
    }

    #[test]
    fn retry_disposition() -> Result {
        let crdt = [1, 20, 0xffff];
        let read_error = status(2, 0x81, false);
        // Retried while below the limit, ended at the limit.
        for retries in 0..5 {
            assert_eq!(
                read_error.disposition(retries, 5, true, &crdt),
                Disposition::Retry(0)
            );
        }
        assert_eq!(
            read_error.disposition(5, 5, true, &crdt),
            Disposition::End(BlkStatus::Medium)
        );
        assert_eq!(
            read_error.disposition(0, 0, true, &crdt),
            Disposition::End(BlkStatus::Medium)
        );
        // Do Not Retry, or a submitter that wants no retries (failfast).
        assert_eq!(
            status(2, 0x81, true).disposition(0, 5, true, &crdt),
            Disposition::End(BlkStatus::Medium)
        );
        assert_eq!(
            read_error.disposition(0, 5, false, &crdt),
            Disposition::End(BlkStatus::Medium)
        );
        // Success is never retried, whatever the bits say.
        assert_eq!(
            Status::from_raw(1 << 11).disposition(0, 5, true, &crdt),
            Disposition::End(BlkStatus::Ok)
        );
        // The delay the CRD field selects, in units of 100 ms.
        let crd = |n: u16| Status::from_raw((n << 11) | 0x281);
        assert_eq!(
            crd(1).disposition(0, 5, true, &crdt),
            Disposition::Retry(100)
        );
        assert_eq!(
            crd(2).disposition(0, 5, true, &crdt),
            Disposition::Retry(2000)
        );
        assert_eq!(
            crd(3).disposition(0, 5, true, &crdt),
            Disposition::Retry(6_553_500)
        );
        assert_eq!(
            crd(2).disposition(0, 5, true, &[0; 3]),
            Disposition::Retry(0)
        );
        Ok(())
    }
}

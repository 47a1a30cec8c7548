// SPDX-License-Identifier: GPL-2.0

//! NVMe controller registers (BAR0), after the NVMe 2.0 base specification, section 3.1.4.
//!
//! The register maps are declared with [`register!`] and accessed through the BAR, for instance
//! `bar.read(regs::CAP)` or `bar.write_reg(regs::CC::enabled(page)?)`. The doorbells that follow
//! the properties at `0x1000` are spaced by the stride in `CAP.DSTRD`, so they have no fixed
//! offset: [`doorbell_offset`] computes theirs.
//!
//! The 64-bit registers (`CAP`, `ASQ`, `ACQ`) take the runtime-checked accessors
//! (`bar.try_read(regs::CAP)?`, `bar.try_write_reg(..)?`): a BAR only promises 4-byte alignment
//! at compile time, so the compile-time checked ones refuse 8-byte accesses.
//!
//! Everything here is pure: no function touches the hardware.

use kernel::{
    io::register,
    prelude::*,
    sizes::{
        SZ_4K,
        SZ_64K, //
    }, //
};

use super::ring::MIN_DEPTH;

/// Size of the part of BAR0 the driver maps with compile-time checked offsets: the controller
/// properties (`0x0..0x1000`) and the first page of doorbells.
///
/// Doorbells beyond it (many queues or a large `CAP.DSTRD`) need the runtime-checked accessors.
pub(crate) const BAR0_SIZE: usize = 0x2000;

/// Offset of the first doorbell (admin submission queue tail).
pub(crate) const DOORBELL_BASE: usize = 0x1000;

/// Unit of `CAP.TO`, in milliseconds.
const TIMEOUT_UNIT_MS: u32 = 500;

register! {
    /// Controller Capabilities.
    pub(crate) CAP(u64) @ 0x00 {
        /// Memory Page Size Maximum: `2 ^ (12 + MPSMAX)` bytes.
        55:52   mpsmax;
        /// Memory Page Size Minimum: `2 ^ (12 + MPSMIN)` bytes.
        51:48   mpsmin;
        /// Boot Partition Support.
        45:45   bps => bool;
        /// Command Sets Supported; bit 0 (of the field): NVM command set.
        44:37   css;
        /// NVM Subsystem Reset Supported.
        36:36   nssrs => bool;
        /// Doorbell Stride: doorbells are `4 << DSTRD` bytes apart.
        35:32   dstrd;
        /// Timeout: worst-case time to wait for `CSTS.RDY` to change, in 500 ms units.
        31:24   to;
        /// Arbitration Mechanism Supported.
        18:17   ams;
        /// Contiguous Queues Required.
        16:16   cqr => bool;
        /// Maximum Queue Entries Supported, 0's based.
        15:0    mqes;
    }

    /// Version.
    pub(crate) VS(u32) @ 0x08 {
        /// Major version.
        31:16   mjr;
        /// Minor version.
        15:8    mnr;
        /// Tertiary version.
        7:0     ter;
    }

    /// Interrupt Mask Set: writing 1 to a bit masks that vector (pin-based and MSI only).
    pub(crate) INTMS(u32) @ 0x0c {
        /// Interrupt Vector Mask Set.
        31:0    ivms;
    }

    /// Interrupt Mask Clear: writing 1 to a bit unmasks that vector (pin-based and MSI only).
    pub(crate) INTMC(u32) @ 0x10 {
        /// Interrupt Vector Mask Clear.
        31:0    ivmc;
    }

    /// Controller Configuration.
    pub(crate) CC(u32) @ 0x14 {
        /// I/O Completion Queue Entry Size, as a power of two.
        23:20   iocqes;
        /// I/O Submission Queue Entry Size, as a power of two.
        19:16   iosqes;
        /// Shutdown Notification: 0 none, 1 normal, 2 abrupt.
        15:14   shn;
        /// Arbitration Mechanism Selected: 0 is round robin.
        13:11   ams;
        /// Memory Page Size: `2 ^ (12 + MPS)` bytes.
        10:7    mps;
        /// I/O Command Set Selected: 0 is the NVM command set.
        6:4     css;
        /// Enable.
        0:0     en => bool;
    }

    /// Controller Status.
    pub(crate) CSTS(u32) @ 0x1c {
        /// Processing Paused.
        5:5     pp => bool;
        /// NVM Subsystem Reset Occurred.
        4:4     nssro => bool;
        /// Shutdown Status: 0 normal operation, 1 in progress, 2 complete.
        3:2     shst;
        /// Controller Fatal Status.
        1:1     cfs => bool;
        /// Ready.
        0:0     rdy => bool;
    }

    /// Admin Queue Attributes.
    pub(crate) AQA(u32) @ 0x24 {
        /// Admin Completion Queue Size, 0's based.
        27:16   acqs;
        /// Admin Submission Queue Size, 0's based.
        11:0    asqs;
    }

    /// Admin Submission Queue Base Address (4 KiB aligned).
    pub(crate) ASQ(u64) @ 0x28 {
        /// Admin Submission Queue Base, bits 63:12 of the address.
        63:12   asqb;
    }

    /// Admin Completion Queue Base Address (4 KiB aligned).
    pub(crate) ACQ(u64) @ 0x30 {
        /// Admin Completion Queue Base, bits 63:12 of the address.
        63:12   acqb;
    }
}

/// `CC.SHN` value requesting a normal shutdown.
pub(crate) const SHN_NORMAL: u32 = 1;
/// `CSTS.SHST` value reporting that shutdown processing is complete.
pub(crate) const SHST_COMPLETE: u32 = 2;

/// log2 of the submission queue entry size (64 bytes).
pub(crate) const SQES_LOG2: u32 = 6;
/// log2 of the completion queue entry size (16 bytes).
pub(crate) const CQES_LOG2: u32 = 4;

/// Largest admin queue depth `AQA` can express (4096 entries).
pub(crate) const ADMIN_QUEUE_MAX_DEPTH: u32 = 4096;

/// A controller memory page size the driver supports: a power of two from 4 KiB to 64 KiB.
///
/// The specification allows up to 128 MiB (`MPS` 15); the driver stops at 64 KiB, which is what
/// real controllers offer and keeps PRP lists small.
///
/// # Invariants
///
/// `shift` is in `12..=16`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PageSize {
    shift: u32,
}

impl PageSize {
    /// 4 KiB, the smallest page size (`MPS` 0).
    pub(crate) const SZ_4K: Self = Self { shift: 12 };
    /// 64 KiB, the largest page size the driver supports (`MPS` 4).
    pub(crate) const SZ_64K: Self = Self { shift: 16 };

    /// Returns the page size `2 ^ (12 + mps)`, as `CAP.MPSMIN`, `CAP.MPSMAX` and `CC.MPS` encode
    /// it.
    ///
    /// # Errors
    ///
    /// `EINVAL` if the size is above 64 KiB.
    pub(crate) fn from_mps(mps: u32) -> Result<Self> {
        if mps > Self::SZ_64K.mps() {
            return Err(EINVAL);
        }
        // INVARIANT: `mps <= 4`, so the shift is in `12..=16`.
        Ok(Self { shift: 12 + mps })
    }

    /// Returns the page size of `bytes` bytes.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `bytes` is not a power of two from 4 KiB to 64 KiB.
    pub(crate) fn new(bytes: usize) -> Result<Self> {
        if !bytes.is_power_of_two() || !(SZ_4K..=SZ_64K).contains(&bytes) {
            return Err(EINVAL);
        }
        // INVARIANT: a power of two from 2^12 to 2^16.
        Ok(Self {
            shift: bytes.trailing_zeros(),
        })
    }

    /// Returns the size in bytes.
    pub(crate) const fn bytes(self) -> usize {
        1 << self.shift
    }

    /// Returns log2 of the size in bytes.
    pub(crate) const fn shift(self) -> u32 {
        self.shift
    }

    /// Returns the `MPS` encoding of this size (`0` for 4 KiB).
    pub(crate) const fn mps(self) -> u32 {
        self.shift - 12
    }

    /// Returns the offset of `addr` within its page.
    pub(crate) const fn offset(self, addr: u64) -> u64 {
        addr & ((1 << self.shift) - 1)
    }
}

impl CAP {
    /// Returns the maximum number of entries of an I/O queue (1-based, up to 65536).
    pub(crate) fn max_queue_entries(self) -> u32 {
        u32::from(u16::from(self.mqes())) + 1
    }

    /// Returns the depth of the I/O queues for `wanted` entries (the `io_queue_depth`
    /// parameter): at most what the controller supports, `CAP.MQES + 1`.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `CAP.MQES` is 0, which the specification forbids (a queue needs two
    /// entries), or if `wanted` is below 2.
    pub(crate) fn io_queue_depth(self, wanted: u32) -> Result<u32> {
        let max = self.max_queue_entries();
        if max < 2 || wanted < 2 {
            return Err(EINVAL);
        }
        Ok(wanted.min(max))
    }

    /// Returns how long to wait for `CSTS.RDY` to follow `CC.EN`, in milliseconds.
    ///
    /// A controller reporting `CAP.TO` as 0 still gets one unit (500 ms).
    pub(crate) fn ready_timeout_ms(self) -> u32 {
        u32::from(u8::from(self.to())).max(1) * TIMEOUT_UNIT_MS
    }

    /// Returns the doorbell stride exponent (`CAP.DSTRD`), the argument of [`doorbell_offset`].
    pub(crate) fn doorbell_stride(self) -> u32 {
        u32::from(u8::from(self.dstrd()))
    }

    /// Returns whether the controller supports the NVM command set.
    pub(crate) fn supports_nvm(self) -> bool {
        u8::from(self.css()) & 1 != 0
    }

    /// Returns the memory page size to program in `CC.MPS` for a host whose page size is
    /// `host`: `host` clamped to what the controller supports.
    ///
    /// # Errors
    ///
    /// `EINVAL` if the controller's minimum page size is above 64 KiB or above its maximum.
    pub(crate) fn page_size_for(self, host: PageSize) -> Result<PageSize> {
        let min = u32::from(u8::from(self.mpsmin()));
        let max = u32::from(u8::from(self.mpsmax()));
        if min > max {
            return Err(EINVAL);
        }
        PageSize::from_mps(host.mps().clamp(min, max))
    }
}

impl VS {
    /// Returns the version as `(major, minor, tertiary)`.
    pub(crate) fn version(self) -> (u16, u8, u8) {
        (self.mjr().into(), self.mnr().into(), self.ter().into())
    }
}

impl CC {
    /// Returns the configuration that enables the controller: NVM command set, round robin
    /// arbitration, memory page size `page`, 64-byte submission and 16-byte completion entries.
    ///
    /// # Errors
    ///
    /// Never in practice: every [`PageSize`] fits `CC.MPS`.
    pub(crate) fn enabled(page: PageSize) -> Result<Self> {
        Ok(Self::zeroed()
            .with_const_iocqes::<{ CQES_LOG2 }>()
            .with_const_iosqes::<{ SQES_LOG2 }>()
            .try_with_mps(page.mps())?
            .with_en(true))
    }
}

impl CSTS {
    /// Returns whether the register reads as all ones, which is what a read from a removed or
    /// dead device returns.
    pub(crate) fn is_all_ones(self) -> bool {
        self.into_raw() == u32::MAX
    }

    /// Returns whether the controller reports that shutdown processing is complete.
    pub(crate) fn shutdown_complete(self) -> bool {
        u32::from(self.shst()) == SHST_COMPLETE
    }
}

impl AQA {
    /// Returns the attributes for admin queues of `sq_depth` and `cq_depth` entries.
    ///
    /// # Errors
    ///
    /// `EINVAL` if a depth is below [`MIN_DEPTH`] or above [`ADMIN_QUEUE_MAX_DEPTH`].
    pub(crate) fn with_depths(sq_depth: u32, cq_depth: u32) -> Result<Self> {
        let range = MIN_DEPTH..=ADMIN_QUEUE_MAX_DEPTH;
        if !range.contains(&sq_depth) || !range.contains(&cq_depth) {
            return Err(EINVAL);
        }
        Self::zeroed()
            .try_with_asqs(sq_depth - 1)?
            .try_with_acqs(cq_depth - 1)
    }
}

/// Returns `addr` if it can be an admin queue base address (4 KiB aligned).
fn queue_base(addr: u64) -> Result<u64> {
    if PageSize::SZ_4K.offset(addr) != 0 {
        return Err(EINVAL);
    }
    Ok(addr)
}

impl ASQ {
    /// Returns the register value for an admin submission queue at DMA address `addr`.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `addr` is not 4 KiB aligned.
    pub(crate) fn from_addr(addr: u64) -> Result<Self> {
        Ok(Self::from_raw(queue_base(addr)?))
    }
}

impl ACQ {
    /// Returns the register value for an admin completion queue at DMA address `addr`.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `addr` is not 4 KiB aligned.
    pub(crate) fn from_addr(addr: u64) -> Result<Self> {
        Ok(Self::from_raw(queue_base(addr)?))
    }
}

/// Returns the BAR0 offset of a doorbell: the submission queue tail doorbell of queue `qid`, or
/// its completion queue head doorbell if `completion`.
///
/// `dstrd` is `CAP.DSTRD` (see [`CAP::doorbell_stride`]); only its low 4 bits are used, as in the
/// register. Queue 0 is the admin queue.
pub(crate) fn doorbell_offset(qid: u16, completion: bool, dstrd: u32) -> usize {
    let index = 2 * usize::from(qid) + usize::from(completion);
    DOORBELL_BASE + (index << (2 + (dstrd & 0xf)))
}

/// Returns the index, in 32-bit entries, of a doorbell in the shadow doorbell and EventIdx
/// buffers (Doorbell Buffer Config): they mirror the doorbell registers, from the admin
/// submission queue's on, with the same stride.
pub(crate) fn shadow_index(qid: u16, completion: bool, dstrd: u32) -> usize {
    (doorbell_offset(qid, completion, dstrd) - DOORBELL_BASE) / 4
}

#[cfg(CONFIG_RNVME_KUNIT_TEST)]
#[kunit_tests(rnvme_regs)]
mod tests {
    use super::*;

    /// A CAP value like QEMU's: MQES 2047, CQR, TO 15 (7.5 s), DSTRD 0, CSS NVM + I/O sets,
    /// MPSMIN 4 KiB, MPSMAX 64 KiB.
    const QEMU_CAP: u64 = (4 << 52) | (0x41 << 37) | (0x0f << 24) | (1 << 16) | 0x7ff;

    #[test]
    fn cap_fields() -> Result {
        let cap = CAP::from_raw(QEMU_CAP);
        assert_eq!(cap.mqes(), 0x7ff);
        assert_eq!(cap.max_queue_entries(), 2048);
        assert!(cap.cqr());
        assert_eq!(cap.ams(), 0);
        assert_eq!(cap.to(), 0x0f);
        assert_eq!(cap.doorbell_stride(), 0);
        assert!(!cap.nssrs());
        assert_eq!(cap.css(), 0x41);
        assert!(cap.supports_nvm());
        assert_eq!(cap.mpsmin(), 0);
        assert_eq!(cap.mpsmax(), 4);

        // Every field at its extremes, to catch an off-by-one bit range.
        let cap = CAP::from_raw((0xf << 52) | (0xf << 48) | (0xf << 32) | (1 << 36) | 0xffff);
        assert_eq!(cap.max_queue_entries(), 65536);
        assert_eq!(cap.doorbell_stride(), 15);
        assert!(cap.nssrs());
        assert!(!cap.cqr());
        assert_eq!(cap.css(), 0);
        assert!(!cap.supports_nvm());
        assert_eq!(cap.mpsmin(), 0xf);
        assert_eq!(cap.mpsmax(), 0xf);
        assert_eq!(CAP::from_raw(0xff << 37).css(), 0xff);
        assert_eq!(CAP::from_raw(3 << 17).ams(), 3);
        Ok(())
    }

    #[test]
    fn cap_io_queue_depth() -> Result {
        // QEMU's MQES 2047: the parameter wins.
        assert_eq!(CAP::from_raw(QEMU_CAP).io_queue_depth(1024), Ok(1024));
        assert_eq!(CAP::from_raw(QEMU_CAP).io_queue_depth(4095), Ok(2048));
        // Small MQES values (0's based) win over the parameter.
        assert_eq!(CAP::from_raw(1).io_queue_depth(1024), Ok(2));
        assert_eq!(CAP::from_raw(30).io_queue_depth(1024), Ok(31));
        assert_eq!(CAP::from_raw(31).io_queue_depth(1024), Ok(32));
        assert_eq!(CAP::from_raw(0xffff).io_queue_depth(1024), Ok(1024));
        assert_eq!(CAP::from_raw(0xffff).io_queue_depth(4095), Ok(4095));
        assert_eq!(CAP::from_raw(30).io_queue_depth(2), Ok(2));
        // MQES 0 is invalid, and so is a queue of fewer than two entries.
        assert_eq!(CAP::from_raw(0).io_queue_depth(1024), Err(EINVAL));
        assert_eq!(
            CAP::from_raw(QEMU_CAP & !0xffff).io_queue_depth(1024),
            Err(EINVAL)
        );
        assert_eq!(CAP::from_raw(QEMU_CAP).io_queue_depth(1), Err(EINVAL));
        Ok(())
    }

    #[test]
    fn cap_ready_timeout() -> Result {
        assert_eq!(CAP::from_raw(0).ready_timeout_ms(), 500);
        assert_eq!(CAP::from_raw(1 << 24).ready_timeout_ms(), 500);
        assert_eq!(CAP::from_raw(QEMU_CAP).ready_timeout_ms(), 7500);
        assert_eq!(CAP::from_raw(0xff << 24).ready_timeout_ms(), 127_500);
        Ok(())
    }

    #[test]
    fn page_sizes() -> Result {
        assert_eq!(PageSize::from_mps(0)?.bytes(), 4096);
        assert_eq!(PageSize::from_mps(4)?, PageSize::SZ_64K);
        assert_eq!(PageSize::from_mps(5), Err(EINVAL));
        assert_eq!(PageSize::new(8192)?.mps(), 1);
        assert_eq!(PageSize::new(8192)?.shift(), 13);
        assert_eq!(PageSize::new(2048), Err(EINVAL));
        assert_eq!(PageSize::new(12288), Err(EINVAL));
        assert_eq!(PageSize::new(128 * 1024), Err(EINVAL));
        assert_eq!(PageSize::new(0), Err(EINVAL));
        assert_eq!(PageSize::SZ_4K.offset(0x1234_5678), 0x678);
        assert_eq!(PageSize::SZ_64K.offset(0x1234_5678), 0x5678);
        Ok(())
    }

    #[test]
    fn page_size_for_host() -> Result {
        let cap = CAP::from_raw(QEMU_CAP);
        assert_eq!(cap.page_size_for(PageSize::SZ_4K)?, PageSize::SZ_4K);
        assert_eq!(cap.page_size_for(PageSize::SZ_64K)?, PageSize::SZ_64K);
        // The controller's minimum wins over a smaller host page.
        let cap = CAP::from_raw((3 << 52) | (1 << 48));
        assert_eq!(cap.page_size_for(PageSize::SZ_4K)?.bytes(), 8192);
        // And its maximum over a larger one.
        assert_eq!(cap.page_size_for(PageSize::SZ_64K)?.bytes(), 32768);
        // A minimum the driver cannot do, or a minimum above the maximum.
        assert_eq!(
            CAP::from_raw((6 << 52) | (5 << 48)).page_size_for(PageSize::SZ_4K),
            Err(EINVAL)
        );
        assert_eq!(
            CAP::from_raw(1 << 48).page_size_for(PageSize::SZ_4K),
            Err(EINVAL)
        );
        Ok(())
    }

    #[test]
    fn version() -> Result {
        assert_eq!(VS::from_raw(0x0001_0400).version(), (1, 4, 0));
        assert_eq!(VS::from_raw(0x0002_0100).version(), (2, 1, 0));
        assert_eq!(VS::from_raw(0x0001_0201).version(), (1, 2, 1));
        Ok(())
    }

    #[test]
    fn cc_enable() -> Result {
        let cc = CC::enabled(PageSize::SZ_4K)?;
        assert_eq!(cc.into_raw(), 0x0046_0001);
        assert!(cc.en());
        assert_eq!(cc.css(), 0);
        assert_eq!(cc.shn(), 0);
        assert_eq!(CC::enabled(PageSize::SZ_64K)?.into_raw(), 0x0046_0201);
        assert_eq!(CC::enabled(PageSize::new(8192)?)?.mps(), 1);

        // Shutdown requests keep the other fields.
        let shn = cc.try_with_shn(SHN_NORMAL)?;
        assert_eq!(shn.into_raw(), 0x0046_4001);
        // An abrupt shutdown request (`CC.SHN` 2).
        assert_eq!(cc.try_with_shn(2)?.into_raw(), 0x0046_8001);
        assert_eq!(shn.with_en(false).into_raw(), 0x0046_4000);
        Ok(())
    }

    #[test]
    fn csts_decode() -> Result {
        let csts = CSTS::from_raw(0x1);
        assert!(csts.rdy());
        assert!(!csts.cfs());
        assert!(!csts.shutdown_complete());
        let csts = CSTS::from_raw(0x2);
        assert!(!csts.rdy());
        assert!(csts.cfs());
        assert!(CSTS::from_raw(0x8).shutdown_complete());
        assert!(!CSTS::from_raw(0x4).shutdown_complete());
        assert!(!CSTS::from_raw(0xc).shutdown_complete());
        assert!(CSTS::from_raw(u32::MAX).is_all_ones());
        assert!(!CSTS::from_raw(0x7fff_ffff).is_all_ones());
        Ok(())
    }

    #[test]
    fn aqa_depths() -> Result {
        assert_eq!(AQA::with_depths(32, 32)?.into_raw(), 0x001f_001f);
        assert_eq!(AQA::with_depths(4096, 2)?.into_raw(), 0x0001_0fff);
        let aqa = AQA::with_depths(64, 128)?;
        assert_eq!(aqa.asqs(), 63);
        assert_eq!(aqa.acqs(), 127);
        assert_eq!(AQA::with_depths(1, 32), Err(EINVAL));
        assert_eq!(AQA::with_depths(32, 0), Err(EINVAL));
        assert_eq!(AQA::with_depths(4097, 32), Err(EINVAL));
        Ok(())
    }

    #[test]
    fn admin_queue_bases() -> Result {
        assert_eq!(ASQ::from_addr(0x1000)?.into_raw(), 0x1000);
        assert_eq!(ACQ::from_addr(0x1_2345_6000)?.into_raw(), 0x1_2345_6000);
        assert_eq!(ACQ::from_addr(0x1_2345_6000)?.acqb(), 0x12_3456);
        assert!(ASQ::from_addr(0x1001).is_err());
        assert!(ACQ::from_addr(0x1_2345_6800).is_err());
        assert_eq!(ASQ::from_addr(0)?.into_raw(), 0);
        Ok(())
    }

    #[test]
    fn doorbells() -> Result {
        assert_eq!(doorbell_offset(0, false, 0), 0x1000);
        assert_eq!(doorbell_offset(0, true, 0), 0x1004);
        assert_eq!(doorbell_offset(1, false, 0), 0x1008);
        assert_eq!(doorbell_offset(1, true, 0), 0x100c);
        assert_eq!(doorbell_offset(1, true, 1), 0x1018);
        assert_eq!(doorbell_offset(2, false, 2), 0x1040);
        assert_eq!(doorbell_offset(0, true, 15), 0x1000 + (1 << 17));
        assert_eq!(doorbell_offset(0xffff, true, 0), 0x1000 + 0x1ffff * 4);
        // Only the 4 bits of CAP.DSTRD count.
        assert_eq!(
            doorbell_offset(1, false, 0x10),
            doorbell_offset(1, false, 0)
        );
        // The admin queue pair fits the statically mapped window, with any stride.
        assert!(doorbell_offset(0, true, 9) + 4 <= BAR0_SIZE);
        Ok(())
    }

    #[test]
    fn shadow_doorbells() -> Result {
        assert_eq!(shadow_index(0, false, 0), 0);
        assert_eq!(shadow_index(0, true, 0), 1);
        assert_eq!(shadow_index(1, false, 0), 2);
        assert_eq!(shadow_index(1, true, 0), 3);
        assert_eq!(shadow_index(2, false, 2), 16);
        assert_eq!(shadow_index(511, true, 0), 1023);
        Ok(())
    }
}

// SPDX-License-Identifier: GPL-2.0

//! rnvme: an NVMe PCI block driver in Rust.
//!
//! The driver binds to NVMe-class PCI functions (class code `0x010802`), brings the controller
//! up with an admin queue, identifies it and its active namespaces, creates one I/O queue pair
//! per granted MSI-X vector, plus `poll_queues` poll queues, and registers one disk per namespace,
//! `rnvme<ctrl>n<nsid>`, which serves reads, writes and flushes.
//!
//! The modules:
//! - `regs`: controller registers and doorbell offsets,
//! - `cmd`: submission and completion entries, command builders, status decoding,
//! - `ring`: queue index and phase arithmetic, shadow doorbell events,
//! - `prp`: PRP entries and lists from DMA segments,
//! - `identify`: Identify Controller, Identify Namespace and namespace list parsing,
//! - `queue`: a queue pair in coherent DMA memory and its doorbells,
//! - `admin`: synchronous admin commands on the admin queue pair, polled,
//! - `ctrl`: controller disable, admin queue setup, enable and shutdown,
//! - `dbbuf`: shadow doorbells (Doorbell Buffer Config),
//! - `io`: I/O queue pairs, their interrupts, polling, timeouts and the blk-mq operations.
//!
//! The first five are pure and carry the KUnit suites; the last five touch the hardware.

use kernel::{
    block::mq::gen_disk::{
        GenDisk,
        GenDiskBuilder, //
    },
    device::{
        Bound,
        Core, //
    },
    dma::DmaMask,
    io::Io,
    irq,
    new_mutex,
    pci,
    prelude::*,
    str::BStr,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        Mutex, //
    }, //
};

mod admin;
// The admin commands are in use; the I/O command set (read, write, flush, write zeroes,
// discard), the status codes and their block layer mapping wait for the I/O path of the next
// stage, and outside KUnit builds nothing uses them yet.
#[allow(dead_code)]
mod cmd;
mod ctrl;
mod dbbuf;
mod identify;
mod io;
mod prp;
mod queue;
mod regs;
mod ring;

use crate::{
    ctrl::Ctrl,
    dbbuf::DbBuf,
    identify::{
        IdCtrl,
        IdNs, //
    },
    io::{
        IoOps,
        IoQueues,
        NsQueue,
        QueueIrq,
        QueueLayout,
        IO_QUEUE_DEPTH,
        IO_TAGS,
        MAX_SEGMENTS, //
    }, //
};

/// BAR0 with the controller properties and the first doorbells.
type Bar0<'bound> = pci::Bar<'bound, { regs::BAR0_SIZE }>;

/// Instance number of the next controller: controllers are `rnvme0`, `rnvme1`, ... in probe
/// order, and their namespaces `rnvme<instance>n<nsid>`. Numbers are not reused.
static NEXT_INSTANCE: Atomic<u32> = Atomic::new(0);

/// The PCI driver.
struct RnvmeDriver;

/// An active namespace the driver can use.
struct Namespace {
    /// Namespace identifier.
    nsid: u32,
    /// Its Identify Namespace data.
    id: IdNs,
}

/// The I/O path of a controller: its I/O queues and the interrupt handlers that complete
/// them. The handlers (and then the vectors) are freed before the queues.
struct IoPath<'bound> {
    /// One handler per MSI-X vector: vector 0 (admin, polled), then one per I/O queue; held
    /// for its `Drop`, which frees them.
    _irqs: pci::IrqHandlers<'bound, QueueIrq>,
    /// The I/O queues, shared with the disks and the handlers.
    io: Arc<IoQueues>,
}

/// A bound controller, the driver data of its PCI function.
///
/// Teardown: [`RnvmeDriver::unbind`] removes the disks (waiting for their I/O), deletes the
/// I/O queues and shuts the controller down; then the fields drop in declaration order: the
/// interrupt handlers and vectors, the I/O queue memory, then `ctrl`, which disables the
/// controller, frees the admin queue and releases the BAR (see [`Ctrl`]). Initialization runs
/// in the opposite order, `ctrl` first.
#[pin_data]
struct Controller<'bound> {
    /// One disk per usable namespace, `rnvme<instance>n<nsid>`; emptied by `unbind`.
    #[pin]
    disks: Mutex<KVec<GenDisk<IoOps>>>,
    /// The I/O queues and their interrupts.
    iopath: IoPath<'bound>,
    /// The controller, its registers and its admin queue.
    #[pin]
    ctrl: Ctrl<'bound>,
    /// Instance number: the controller is `rnvme<instance>`.
    instance: u32,
    /// Identify Controller data.
    id: IdCtrl,
    /// Largest transfer of one command, in bytes.
    max_transfer: usize,
    /// The active namespaces, in increasing identifier order.
    namespaces: KVec<Namespace>,
    /// How many I/O queue pairs the controller granted, poll queues included.
    io_queues: u32,
}

impl Controller<'_> {
    /// Identifies the controller and logs what it is.
    ///
    /// # Errors
    ///
    /// Those of [`admin::Admin::identify_controller`].
    fn identify(pdev: &pci::Device<Bound>, ctrl: &Ctrl<'_>, instance: u32) -> Result<IdCtrl> {
        let id = ctrl.admin()?.identify_controller()?;
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        dev_info!(
            pdev,
            "rnvme{}: {}, serial {}, firmware {}, NN {}\n",
            instance,
            BStr::from_bytes(id.model()),
            BStr::from_bytes(id.serial()),
            BStr::from_bytes(id.firmware()),
            id.nn
        );
        dev_info!(
            pdev,
            "rnvme{}: MDTS {} (max transfer {} KiB), volatile write cache {}, ONCS {:#06x} \
             (discard {}, write zeroes {}), shadow doorbells {}, SGLs {}\n",
            instance,
            id.mdts,
            Self::max_transfer(ctrl, &id) / 1024,
            yes_no(id.has_volatile_write_cache()),
            id.oncs,
            yes_no(id.supports_dsm()),
            yes_no(id.supports_write_zeroes()),
            yes_no(id.supports_dbbuf()),
            yes_no(id.supports_sgls())
        );
        Ok(id)
    }

    /// Returns the largest transfer of one command, in bytes: `MDTS` is in units of the
    /// controller's minimum memory page size.
    fn max_transfer(ctrl: &Ctrl<'_>, id: &IdCtrl) -> usize {
        id.max_transfer_bytes(ctrl.min_page_size())
    }

    /// Identifies the active namespaces and logs each usable one; namespaces formatted with
    /// metadata are skipped with a warning.
    ///
    /// # Errors
    ///
    /// Those of [`admin::Admin::active_namespaces`] and [`admin::Admin::identify_namespace`],
    /// except `EOPNOTSUPP`.
    fn scan_namespaces(
        pdev: &pci::Device<Bound>,
        ctrl: &Ctrl<'_>,
        instance: u32,
    ) -> Result<KVec<Namespace>> {
        let admin = ctrl.admin()?;
        let nsids = admin.active_namespaces()?;
        let mut namespaces = KVec::with_capacity(nsids.len(), GFP_KERNEL).inspect_err(|e| {
            dev_err!(
                pdev,
                "rnvme{}: cannot store namespaces: {:?}\n",
                instance,
                e
            )
        })?;
        for nsid in nsids {
            let id = match admin.identify_namespace(nsid) {
                Ok(id) => id,
                Err(e) if e == EOPNOTSUPP => {
                    dev_warn!(
                        pdev,
                        "rnvme{}n{}: skipped: its LBA format carries metadata\n",
                        instance,
                        nsid
                    );
                    continue;
                }
                Err(e) => {
                    dev_err!(
                        pdev,
                        "rnvme{}n{}: cannot use the namespace: {:?}\n",
                        instance,
                        nsid,
                        e
                    );
                    return Err(e);
                }
            };
            dev_info!(
                pdev,
                "rnvme{}n{}: {} sectors of {} bytes ({} MiB)\n",
                instance,
                nsid,
                id.nsze,
                id.lba_size(),
                id.capacity_sectors() >> 11
            );
            // Cannot fail: the vector has room for every active namespace.
            namespaces
                .push_within_capacity(Namespace { nsid, id })
                .map_err(|_| {
                    dev_err!(pdev, "rnvme{}n{}: no room to store it\n", instance, nsid);
                    ENOMEM
                })?;
        }
        if namespaces.is_empty() {
            dev_info!(pdev, "rnvme{}: no usable namespace\n", instance);
        }
        Ok(namespaces)
    }

    /// Asks for one I/O queue pair per CPU plus the `poll_queues` module parameter, and returns
    /// how many the controller granted.
    ///
    /// The kernel crate of Linux 7.3 has no `num_online_cpus()`; `nr_cpu_ids()` (the possible
    /// CPUs) stands in for it, which is what a fixed CPU count, as in the test guest, has too.
    ///
    /// # Errors
    ///
    /// Those of [`admin::Admin::set_num_queues`]; `ENODEV` if the controller granted none.
    fn request_io_queues(pdev: &pci::Device<Bound>, ctrl: &Ctrl<'_>, instance: u32) -> Result<u32> {
        let wanted = kernel::cpu::nr_cpu_ids().saturating_add(poll_queues());
        let (sq, cq) = ctrl.admin()?.set_num_queues(wanted)?;
        let granted = wanted.min(sq).min(cq);
        if granted == 0 {
            dev_err!(
                pdev,
                "rnvme{}: the controller grants no I/O queue\n",
                instance
            );
            return Err(ENODEV);
        }
        dev_info!(
            pdev,
            "rnvme{}: {} I/O queue pairs requested, {} granted (controller allocated {} SQ, {} CQ)\n",
            instance,
            wanted,
            granted,
            sq,
            cq
        );
        Ok(granted)
    }
}

impl<'bound> Controller<'bound> {
    /// Splits the granted I/O queues between interrupts and polling (at most `poll_queues`
    /// poll queues, at least one interrupt queue), allocates one MSI-X vector per interrupt
    /// queue (after the admin queue's), creates the tag set and the I/O queues, and registers
    /// the interrupt handlers.
    ///
    /// # Errors
    ///
    /// Those of the vector allocation, the queue creation and the handler registration.
    fn start_io(
        pdev: &'bound pci::Device<Bound>,
        ctrl: &Ctrl<'_>,
        id: &IdCtrl,
        granted: u32,
        instance: u32,
    ) -> Result<IoPath<'bound>> {
        let poll_queues = poll_queues().min(granted - 1);
        let dbbuf = if id.supports_dbbuf() {
            Self::shadow_doorbells(pdev, ctrl, granted, instance)
        } else {
            None
        };
        let msix = pci::IrqTypes::default().with(pci::IrqType::MsiX);
        let vectors = pdev
            .alloc_irq_vectors_affinity(2, granted - poll_queues + 1, msix, 1)
            .inspect_err(|e| dev_err!(pdev, "rnvme{}: no MSI-X vectors: {:?}\n", instance, e))?;
        // CAST: at most `granted + 1` vectors.
        let irq_queues = (vectors.len() - 1) as u32;
        let layout = KBox::new(
            QueueLayout {
                dev: pdev.as_ref().into(),
                irq_queues,
                poll_queues,
            },
            GFP_KERNEL,
        )?;
        let tagset = Arc::pin_init(
            kernel::block::mq::TagSet::new(
                irq_queues + poll_queues,
                IO_TAGS,
                layout.nr_maps(),
                layout,
            ),
            GFP_KERNEL,
        )
        .inspect_err(|e| dev_err!(pdev, "rnvme{}: no tag set: {:?}\n", instance, e))?;
        let io = IoQueues::create(
            pdev,
            ctrl.admin()?,
            ctrl.shared_bar(),
            tagset,
            (irq_queues, poll_queues),
            ctrl.cap(),
            ctrl.page_size(),
            instance,
            dbbuf.clone(),
        )?;
        let irqs = vectors
            .register_all(irq::Flags::TRIGGER_NONE, c"rnvme", |vector| {
                Ok(QueueIrq::new(io.clone(), vector))
            })
            .inspect_err(|e| {
                dev_err!(
                    pdev,
                    "rnvme{}: cannot request interrupts: {:?}\n",
                    instance,
                    e
                )
            })?;
        dev_info!(
            pdev,
            "rnvme{}: {} I/O queues of {} entries: {} by interrupt, {} polled; shadow doorbells {}\n",
            instance,
            io.len(),
            IO_QUEUE_DEPTH,
            irq_queues,
            poll_queues,
            if dbbuf.is_some() { "on" } else { "off" }
        );
        Ok(IoPath { _irqs: irqs, io })
    }

    /// Allocates the shadow doorbell buffers for `queues` I/O queues and hands them to the
    /// controller (Doorbell Buffer Config). Without them, on any failure, which is reported,
    /// the queues use their doorbell registers only.
    fn shadow_doorbells(
        pdev: &pci::Device<Bound>,
        ctrl: &Ctrl<'_>,
        queues: u32,
        instance: u32,
    ) -> Option<Arc<DbBuf>> {
        let set = || -> Result<Arc<DbBuf>> {
            let buf = DbBuf::new(pdev.as_ref(), queues, ctrl.cap().doorbell_stride())?;
            ctrl.admin()?.execute(buf.command())?;
            Ok(Arc::new(buf, GFP_KERNEL)?)
        };
        set()
            .inspect_err(|e| dev_warn!(pdev, "rnvme{}: no shadow doorbells: {:?}\n", instance, e))
            .ok()
    }

    /// Registers one disk per namespace.
    ///
    /// # Errors
    ///
    /// Those of the disk registration; the disks added so far are removed again.
    fn add_disks(
        pdev: &pci::Device<Bound>,
        instance: u32,
        namespaces: &[Namespace],
        iopath: &IoPath<'_>,
        max_transfer: usize,
        write_cache: bool,
    ) -> Result<KVec<GenDisk<IoOps>>> {
        let io = &iopath.io;
        let page = io.page_size();
        // At most `MAX_SEGMENTS` pages: 129 PRP entries with an unaligned start, which fit in
        // the one PRP list page of each request.
        let max_bytes = max_transfer.min(MAX_SEGMENTS * page.bytes());
        let mut disks = KVec::with_capacity(namespaces.len(), GFP_KERNEL)?;
        for ns in namespaces {
            let queue = Arc::new(
                NsQueue {
                    nsid: ns.nsid,
                    lba_shift: ns.id.lba_shift(),
                    io: io.clone(),
                },
                GFP_KERNEL,
            )?;
            let disk = GenDiskBuilder::new()
                .capacity_sectors(ns.id.capacity_sectors())
                .logical_block_size(ns.id.lba_size())?
                .physical_block_size(ns.id.lba_size())?
                .max_hw_sectors(u32::try_from(max_bytes >> 9)?)
                // CAST: `MAX_SEGMENTS` is 128.
                .max_segments(MAX_SEGMENTS as u16)
                .virt_boundary(page.bytes() - 1)?
                .write_cache(write_cache, write_cache)
                .parent(pdev.as_ref())
                .build(fmt!("rnvme{}n{}", instance, ns.nsid), io.tagset(), queue)
                .inspect_err(|e| {
                    dev_err!(
                        pdev,
                        "rnvme{}n{}: cannot add the disk: {:?}\n",
                        instance,
                        ns.nsid,
                        e
                    )
                })?;
            disks.push(disk, GFP_KERNEL)?;
        }
        Ok(disks)
    }
}

kernel::pci_device_table!(
    PCI_TABLE,
    <RnvmeDriver as pci::Driver>::IdInfo,
    [(
        pci::DeviceId::from_class(
            pci::Class::STORAGE_EXPRESS.as_raw(),
            pci::ClassMask::Full.as_raw()
        ),
        ()
    )]
);

impl pci::Driver for RnvmeDriver {
    type IdInfo = ();
    type Data<'bound> = Controller<'bound>;

    const ID_TABLE: pci::IdTable<Self::IdInfo> = &PCI_TABLE;

    /// NVMe controllers address 64 bits of memory.
    const DMA_MASK: Option<DmaMask> = Some(DmaMask::new::<64>());

    /// Brings the controller up: enable the PCI function and bus mastering, map BAR0, read
    /// `CAP`, disable the controller, set up the admin queue, enable the controller, identify
    /// it and its namespaces, and negotiate the number of I/O queues.
    ///
    /// Any failure is reported with `dev_err!` and undoes what was done: dropping the parts
    /// built so far disables the controller before its queue memory is freed.
    fn probe<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        pin_init::pin_init_scope(move || {
            pdev.enable_device_mem()
                .inspect_err(|e| dev_err!(pdev, "cannot enable the device: {:?}\n", e))?;
            pdev.set_master();

            // The 64-bit DMA mask is set already: see `DMA_MASK`.

            let bar = pdev
                .iomap_region_sized::<{ regs::BAR0_SIZE }>(0, c"rnvme")
                .inspect_err(|e| dev_err!(pdev, "cannot map BAR0: {:?}\n", e))?;

            let cap = bar
                .try_read(regs::CAP)
                .inspect_err(|e| dev_err!(pdev, "cannot read CAP: {:?}\n", e))?;
            if cap.into_raw() == u64::MAX {
                // All ones: the device is gone or not answering.
                dev_err!(pdev, "controller registers read as all ones\n");
                return Err(ENODEV);
            }
            let (major, minor, tertiary) = bar.read(regs::VS).version();
            let instance = NEXT_INSTANCE.fetch_add(1, Relaxed);

            dev_info!(
                pdev,
                "rnvme{}: NVMe {}.{}.{}: CAP {:#018x}: MQES {}, TO {} ms, DSTRD {}, CSS {:#x}, \
                 MPS {}..{}\n",
                instance,
                major,
                minor,
                tertiary,
                cap.into_raw(),
                cap.max_queue_entries(),
                cap.ready_timeout_ms(),
                cap.doorbell_stride(),
                u8::from(cap.css()),
                u8::from(cap.mpsmin()),
                u8::from(cap.mpsmax()),
            );

            let pdev: &'bound pci::Device<Bound> = pdev;
            Ok(try_pin_init!(Controller {
                // Disables the controller and programs the admin queue.
                ctrl <- Ctrl::new(pdev, bar, cap),
                // From here on, a failure drops `ctrl`, which disables the controller again.
                _: {
                    ctrl.enable()?;
                },
                instance,
                id: Controller::identify(pdev, &ctrl, *instance)?,
                max_transfer: Controller::max_transfer(&ctrl, id),
                namespaces: Controller::scan_namespaces(pdev, &ctrl, *instance)?,
                io_queues: Controller::request_io_queues(pdev, &ctrl, *instance)?,
                iopath: Controller::start_io(pdev, &ctrl, id, *io_queues, *instance)?,
                disks <- new_mutex!(Controller::add_disks(
                    pdev,
                    *instance,
                    namespaces,
                    iopath,
                    *max_transfer,
                    id.has_volatile_write_cache(),
                )?),
            }))
        })
    }

    /// Shuts the controller down (`CC.SHN`); dropping the driver data then disables it and frees
    /// its queues.
    fn unbind<'bound>(pdev: &'bound pci::Device<Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        // The disks first: removing one waits for its I/O, which the controller still
        // completes. Drop them outside the lock.
        let disks = core::mem::take(&mut *this.disks.lock());
        drop(disks);
        if this.iopath.io.is_dead() {
            dev_info!(
                pdev,
                "rnvme{}: the controller was disabled after a failure\n",
                this.instance
            );
            return;
        }
        match this.ctrl.admin() {
            Ok(admin) => this.iopath.io.delete(pdev, admin),
            Err(e) => dev_err!(
                pdev,
                "rnvme{}: cannot delete the I/O queues: {:?}\n",
                this.instance,
                e
            ),
        }
        match this.ctrl.shutdown() {
            Ok(()) => dev_info!(pdev, "rnvme{}: shutdown complete\n", this.instance),
            Err(e) => dev_err!(pdev, "rnvme{}: shutdown failed: {:?}\n", this.instance, e),
        }
    }
}

/// Returns the `poll_queues` module parameter, capped so that queue counts cannot overflow.
fn poll_queues() -> u32 {
    module_parameters::poll_queues.value().min(MAX_POLL_QUEUES)
}

/// Most poll queues a controller gets.
const MAX_POLL_QUEUES: u32 = 256;

kernel::module_pci_driver! {
    type: RnvmeDriver,
    name: "rnvme",
    authors: ["The rnvme authors"],
    description: "Rust NVMe PCI block driver",
    license: "GPL v2",
    params: {
        poll_queues: u32 {
            default: 0,
            description: "Number of I/O queues completed by polling (io_uring hipri), besides one per CPU completed by interrupts; at most 256 and fewer than the controller grants",
        },
    },
}

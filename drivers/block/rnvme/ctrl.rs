// SPDX-License-Identifier: GPL-2.0

//! A bound controller: its bring-up from probe, its disks, and its teardown at unbind.
//!
//! [`Controller::new`] brings the controller up in the order of its fields: the admin path
//! (controller disabled, admin queue programmed), enable, identify the controller and its
//! namespaces, negotiate the number of I/O queues, the I/O path with its interrupts, then one
//! disk per namespace. A failure at any step drops what was built, in the reverse order:
//! dropping the admin path disables the controller before its queue memory is freed.

use kernel::{
    block::mq::{
        gen_disk::{
            GenDisk,
            GenDiskBuilder, //
        },
        TagSet,
    },
    device::Bound,
    io::Io as _,
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

use crate::{
    admin::AdminPath,
    driver::Bar0,
    io::{
        DbBuf,
        IoOps,
        IoPath,
        Namespace,
        QueueIrq,
        QueueLayout,
        MAX_SEGMENTS, //
    },
    nvme::{
        identify::{
            IdCtrl,
            IdCtrlNvm,
            NsGeometry,
            CSI_NVM, //
        },
        limits::disk_limits,
        regs::{
            self,
            PageSize, //
        }, //
    },
    params, //
};

/// Instance number of the next controller: controllers are `rnvme0`, `rnvme1`, ... in probe
/// order, and their namespaces `rnvme<instance>n<nsid>`. Numbers are not reused.
static NEXT_INSTANCE: Atomic<u32> = Atomic::new(0);

/// The I/O path of a controller and the interrupt handlers that complete it.
struct Io {
    /// One handler per interrupt vector: vector 0 (the admin queue's, which is polled, and
    /// the one I/O queue's if it is the only vector), then one per interrupt I/O queue; held
    /// for its `Drop`, which frees them (and then the vectors) before `path`.
    _irqs: pci::IrqHandlers<QueueIrq>,
    /// The I/O queues, shared with the disks and the handlers.
    path: Arc<IoPath>,
    /// The completion injection hook of the tests.
    #[cfg(CONFIG_RNVME_COMPLETION_INJECT)]
    _inject: crate::io::inject::InjectFile,
}

/// A bound controller, the driver data of its PCI function.
///
/// Teardown: [`Controller::unbind`] removes the disks (waiting for their I/O), deletes the
/// I/O queues and shuts the controller down; then the fields drop in declaration order: the
/// interrupt handlers and vectors, the I/O path, then `admin`, which disables the controller,
/// frees the admin queue and releases the BAR (see [`AdminPath`]). Initialization runs in the
/// opposite order, `admin` first.
#[pin_data]
pub(crate) struct Controller<'bound> {
    /// One disk per usable namespace, `rnvme<instance>n<nsid>`; emptied by `unbind`.
    #[pin]
    disks: Mutex<KVec<GenDisk<IoOps>>>,
    /// The I/O path and its interrupts.
    io: Io,
    /// The controller registers and its admin queue.
    #[pin]
    admin: AdminPath<'bound>,
    /// Instance number: the controller's disks are `rnvme<instance>n<nsid>`.
    instance: u32,
    /// Identify Controller data.
    id: IdCtrl,
    /// The controller's limits of the NVM command set.
    nvm: IdCtrlNvm,
    /// The active namespaces the driver serves, in increasing identifier order.
    namespaces: KVec<(u32, NsGeometry)>,
    /// How many I/O queue pairs the controller granted, poll queues included.
    io_queues: u32,
}

impl<'bound> Controller<'bound> {
    /// Returns the initializer of the controller whose registers `bar` maps: see the
    /// [module documentation](self).
    ///
    /// # Errors
    ///
    /// `ENODEV` if the registers read as all ones; those of each step, reported with
    /// `dev_err!`.
    pub(crate) fn new(
        pdev: &'bound pci::Device<Bound>,
        bar: Bar0<'bound>,
    ) -> impl PinInit<Self, Error> + 'bound {
        pin_init::pin_init_scope(move || {
            let cap = bar
                .try_read(regs::CAP)
                .inspect_err(|e| dev_err!(pdev, "cannot read CAP: {:?}\n", e))?;
            if cap.into_raw() == u64::MAX {
                // All ones: the device is gone or not answering.
                dev_err!(pdev, "controller registers read as all ones\n");
                return Err(ENODEV);
            }
            let (major, minor, tertiary) = bar.read(regs::VS).version();
            let depth = Self::queue_depth(pdev, cap)?;
            let instance = NEXT_INSTANCE.fetch_add(1, Relaxed);

            dev_info!(
                pdev,
                "NVMe {}.{}.{}: CAP {:#018x}: MQES {}, TO {} ms, DSTRD {}, CSS {:#x}, \
                 MPS {}..{}\n",
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

            Ok(try_pin_init!(Controller {
                // Disables the controller and programs the admin queue.
                admin <- AdminPath::new(pdev, bar, cap),
                // From here on, a failure drops `admin`, which disables the controller again.
                _: {
                    admin.enable()?;
                },
                instance,
                id: Self::identify(pdev, &admin)?,
                _: {
                    Self::enable_retry_delays(pdev, &admin, id);
                },
                nvm: Self::identify_nvm(&admin),
                namespaces: Self::scan_namespaces(pdev, &admin, *instance)?,
                io_queues: Self::request_io_queues(pdev, &admin)?,
                io: Self::start_io(pdev, &admin, *instance, id, *io_queues, depth)?,
                disks <- new_mutex!(Self::add_disks(
                    pdev,
                    *instance,
                    namespaces,
                    &io.path,
                    (id, nvm),
                    admin.min_page_size(),
                )?),
            }))
        })
    }
}

impl Controller<'_> {
    /// Returns the depth of the I/O queues: the `io_queue_depth` module parameter, at most
    /// what the controller supports.
    ///
    /// # Errors
    ///
    /// `ENODEV` if the controller reports `CAP.MQES` 0, which no controller can.
    fn queue_depth(pdev: &pci::Device<Bound>, cap: regs::CAP) -> Result<u32> {
        let wanted = params::io_queue_depth();
        let depth = cap.io_queue_depth(wanted).map_err(|_| {
            dev_err!(pdev, "CAP.MQES is 0: invalid\n");
            ENODEV
        })?;
        if depth < wanted {
            dev_info!(
                pdev,
                "queue depth {}: limited by CAP.MQES {}\n",
                depth,
                u16::from(cap.mqes())
            );
        }
        Ok(depth)
    }

    /// Identifies the controller and logs what it is.
    ///
    /// # Errors
    ///
    /// Those of [`crate::admin::Admin::identify_controller`].
    fn identify(pdev: &pci::Device<Bound>, admin: &AdminPath<'_>) -> Result<IdCtrl> {
        let id = admin.commands()?.identify_controller()?;
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        dev_info!(
            pdev,
            "{}, serial {}, firmware {}, NN {}\n",
            BStr::from_bytes(id.model()),
            BStr::from_bytes(id.serial()),
            BStr::from_bytes(id.firmware()),
            id.nn
        );
        dev_info!(
            pdev,
            "MDTS {} (max transfer {} KiB), volatile write cache {}, ONCS {:#06x} \
             (discard {}, write zeroes {}), shadow doorbells {}, SGLs {}\n",
            id.mdts,
            id.max_transfer_bytes(admin.min_page_size()) / 1024,
            yes_no(id.has_volatile_write_cache()),
            id.oncs,
            yes_no(id.supports_dsm()),
            yes_no(id.supports_write_zeroes()),
            yes_no(id.supports_dbbuf()),
            yes_no(id.supports_sgls())
        );
        Ok(id)
    }

    /// Returns the controller's limits of the NVM command set (Identify CNS 06h), or none if it
    /// does not report them, which the failed command's message says.
    fn identify_nvm(admin: &AdminPath<'_>) -> IdCtrlNvm {
        admin
            .commands()
            .and_then(|admin| admin.identify_controller_nvm())
            .unwrap_or_default()
    }

    /// Lets the controller ask for delays before retries (`CRD` in a completion, the delays
    /// being its `CRDT`), if it has delays to ask for, as nvme-pci does. Without it, which is
    /// reported, retries go at once.
    fn enable_retry_delays(pdev: &pci::Device<Bound>, admin: &AdminPath<'_>, id: &IdCtrl) {
        if id.crdt[0] == 0 {
            return;
        }
        if let Err(e) = admin
            .commands()
            .and_then(|admin| admin.enable_retry_delays())
        {
            dev_warn!(pdev, "cannot enable command retry delays: {:?}\n", e);
        }
    }

    /// Identifies the active namespaces and logs each one the driver serves by the name its
    /// disk will have. Each namespace the driver cannot serve is skipped, with one warning
    /// saying why ([`IdNs::classify`]).
    ///
    /// # Errors
    ///
    /// Those of [`crate::admin::Admin::active_namespaces`]; `ENOMEM`.
    ///
    /// [`IdNs::classify`]: crate::nvme::identify::IdNs::classify
    fn scan_namespaces(
        pdev: &pci::Device<Bound>,
        admin: &AdminPath<'_>,
        instance: u32,
    ) -> Result<KVec<(u32, NsGeometry)>> {
        let admin = admin.commands()?;
        let nsids = admin.active_namespaces()?;
        let mut namespaces = KVec::with_capacity(nsids.len(), GFP_KERNEL)
            .inspect_err(|e| dev_err!(pdev, "cannot store namespaces: {:?}\n", e))?;
        // The largest logical block the disks accept (see `GenDiskBuilder::logical_block_size`).
        // CAST: the page size fits 32 bits.
        let max_lba_size = kernel::page::PAGE_SIZE as u32;
        for nsid in nsids {
            let id = match admin.identify_namespace(nsid) {
                Ok(id) => id,
                Err(e) => {
                    dev_warn!(
                        pdev,
                        "rnvme{}n{}: skipped: Identify Namespace failed: {:?}\n",
                        instance,
                        nsid,
                        e
                    );
                    continue;
                }
            };
            // A controller that does not report the command set has only NVM namespaces.
            let csi = admin.namespace_command_set(nsid).unwrap_or(CSI_NVM);
            let geometry = match id.classify(csi, max_lba_size) {
                Ok(geometry) => geometry,
                Err(why) => {
                    dev_warn!(pdev, "rnvme{}n{}: skipped: {}\n", instance, nsid, why);
                    continue;
                }
            };
            dev_info!(
                pdev,
                "rnvme{}n{}: {} sectors of {} bytes ({} MiB)\n",
                instance,
                nsid,
                geometry.nsze,
                geometry.lba_size(),
                geometry.capacity_sectors() >> 11
            );
            // Cannot fail: the vector has room for every active namespace.
            namespaces
                .push_within_capacity((nsid, geometry))
                .map_err(|_| {
                    dev_err!(pdev, "namespace {}: no room to store it\n", nsid);
                    ENOMEM
                })?;
        }
        if namespaces.is_empty() {
            dev_info!(pdev, "no usable namespace\n");
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
    /// Those of [`crate::admin::Admin::set_num_queues`]; `ENODEV` if the controller granted
    /// none.
    fn request_io_queues(pdev: &pci::Device<Bound>, admin: &AdminPath<'_>) -> Result<u32> {
        let wanted = kernel::cpu::nr_cpu_ids().saturating_add(params::poll_queues());
        let (sq, cq) = admin.commands()?.set_num_queues(wanted)?;
        let granted = wanted.min(sq).min(cq);
        if granted == 0 {
            dev_err!(pdev, "the controller grants no I/O queue\n");
            return Err(ENODEV);
        }
        dev_info!(
            pdev,
            "{} I/O queue pairs requested, {} granted (controller allocated {} SQ, {} CQ)\n",
            wanted,
            granted,
            sq,
            cq
        );
        Ok(granted)
    }

    /// Allocates the shadow doorbell buffers for `queues` I/O queues and hands them to the
    /// controller (Doorbell Buffer Config). Without them, on any failure, which is reported,
    /// the queues use their doorbell registers only.
    fn shadow_doorbells(
        pdev: &pci::Device<Bound>,
        admin: &AdminPath<'_>,
        queues: u32,
    ) -> Option<Arc<DbBuf>> {
        let set = || -> Result<Arc<DbBuf>> {
            let buf = DbBuf::new(pdev.as_ref(), queues, admin.cap().doorbell_stride())?;
            admin.commands()?.execute(buf.command())?;
            Ok(Arc::new(buf, GFP_KERNEL)?)
        };
        set()
            .inspect_err(|e| dev_warn!(pdev, "no shadow doorbells: {:?}\n", e))
            .ok()
    }

    /// Registers one disk per namespace, `rnvme<instance>n<nsid>`, with the limits the
    /// controller's Identify data `(id, nvm)` and minimum memory page size `mpsmin` give.
    ///
    /// # Errors
    ///
    /// Those of the disk registration; the disks added so far are removed again.
    fn add_disks(
        pdev: &pci::Device<Bound>,
        instance: u32,
        namespaces: &[(u32, NsGeometry)],
        io: &Arc<IoPath>,
        (id, nvm): (&IdCtrl, &IdCtrlNvm),
        mpsmin: PageSize,
    ) -> Result<KVec<GenDisk<IoOps>>> {
        let page = io.page_size();
        // At most `MAX_SEGMENTS` pages: 129 PRP entries with an unaligned start, which fit in
        // the one PRP list page of each request.
        let max_bytes = id
            .max_transfer_bytes(mpsmin)
            .min(MAX_SEGMENTS * page.bytes());
        let max_hw_sectors = u32::try_from(max_bytes >> 9)?;
        let write_cache = id.has_volatile_write_cache();
        let mut disks = KVec::with_capacity(namespaces.len(), GFP_KERNEL)?;
        for &(nsid, ref ns) in namespaces {
            let limits = disk_limits(id, nvm, ns, max_hw_sectors, mpsmin);
            let queue = Arc::new(
                Namespace {
                    nsid,
                    lba_shift: ns.lba_shift(),
                    deallocate_zeroes: limits.write_zeroes_unmap_sectors > 0,
                    discard_segments: limits.discard_segments,
                    io: io.clone(),
                },
                GFP_KERNEL,
            )?;
            let disk = GenDiskBuilder::new()
                .capacity_sectors(ns.capacity_sectors())
                .logical_block_size(ns.lba_size())?
                .physical_block_size(ns.lba_size())?
                .max_hw_sectors(max_hw_sectors)
                // CAST: `MAX_SEGMENTS` is 128.
                .max_segments(MAX_SEGMENTS as u16)
                .virt_boundary(page.bytes() - 1)?
                .discard(limits.discard_sectors, limits.discard_segments)
                .discard_granularity(limits.discard_granularity)
                .max_write_zeroes_sectors(limits.write_zeroes_sectors)
                .max_write_zeroes_unmap_sectors(limits.write_zeroes_unmap_sectors)
                .write_cache(write_cache, write_cache)
                .parent(pdev.as_ref())
                .build(fmt!("rnvme{}n{}", instance, nsid), io.tagset(), queue)
                .inspect_err(|e| {
                    dev_err!(
                        pdev,
                        "rnvme{}n{}: cannot add the disk: {:?}\n",
                        instance,
                        nsid,
                        e
                    )
                })?;
            disks.push(disk, GFP_KERNEL)?;
        }
        Ok(disks)
    }

    /// Removes the disks, deletes the I/O queues and shuts the controller down (`CC.SHN`);
    /// dropping the controller then disables it and frees its queues.
    pub(crate) fn unbind(&self, pdev: &pci::Device<Bound>) {
        // The disks first: removing one waits for its I/O, which the controller still
        // completes. Drop them outside the lock.
        let disks = core::mem::take(&mut *self.disks.lock());
        drop(disks);
        if self.io.path.is_dead() {
            dev_info!(pdev, "the controller was disabled after a failure\n");
            return;
        }
        match self.admin.commands() {
            Ok(admin) => self.io.path.delete(pdev, admin),
            Err(e) => dev_err!(pdev, "cannot delete the I/O queues: {:?}\n", e),
        }
        match self.admin.shutdown() {
            Ok(()) => dev_info!(pdev, "shutdown complete\n"),
            Err(e) => dev_err!(pdev, "shutdown failed: {:?}\n", e),
        }
    }
}

impl<'bound> Controller<'bound> {
    /// Splits the `granted` I/O queues between interrupts and polling (at most `poll_queues`
    /// poll queues, at least one interrupt queue), allocates one interrupt vector per interrupt
    /// queue after the admin queue's (MSI-X, else MSI, else INTx; with a single vector, the one
    /// interrupt queue shares it with the admin queue), creates the tag set and the I/O queues
    /// of `depth` entries, and registers the interrupt handlers (and, in test builds, the
    /// completion injection hook of controller `rnvme<instance>`).
    ///
    /// # Errors
    ///
    /// Those of the vector allocation, the queue creation and the handler registration.
    fn start_io(
        pdev: &'bound pci::Device<Bound>,
        admin: &AdminPath<'_>,
        instance: u32,
        id: &IdCtrl,
        granted: u32,
        depth: u32,
    ) -> Result<Io> {
        let poll_queues = params::poll_queues().min(granted - 1);
        let dbbuf = if id.supports_dbbuf() && params::shadow_doorbells() {
            Self::shadow_doorbells(pdev, admin, granted)
        } else {
            None
        };
        let vectors = pdev
            .alloc_irq_vectors_affinity(1, granted - poll_queues + 1, pci::IrqTypes::all(), 1)
            .inspect_err(|e| dev_err!(pdev, "no interrupt vectors: {:?}\n", e))?;
        let shared_vector = vectors.len() == 1;
        // CAST: at most `granted + 1` vectors.
        let irq_queues = if shared_vector {
            1
        } else {
            (vectors.len() - 1) as u32
        };
        let (kind, flags) = match vectors.irq_type() {
            pci::IrqType::MsiX => ("MSI-X", irq::Flags::TRIGGER_NONE),
            pci::IrqType::Msi => ("MSI", irq::Flags::TRIGGER_NONE),
            // A line other devices may share.
            pci::IrqType::Intx => ("INTx", irq::Flags::SHARED),
        };
        dev_info!(
            pdev,
            "{} {} interrupt vector{}\n",
            vectors.len(),
            kind,
            if shared_vector {
                ": shared by the admin queue and I/O queue 1"
            } else {
                "s"
            }
        );
        let layout = QueueLayout {
            dev: pdev.as_ref().into(),
            irq_queues,
            poll_queues,
            shared_vector,
        };
        let tagset = Arc::pin_init(
            TagSet::new(
                irq_queues + poll_queues,
                depth - 1,
                layout.nr_maps(),
                KBox::new(layout.clone(), GFP_KERNEL)?,
            ),
            GFP_KERNEL,
        )
        .inspect_err(|e| dev_err!(pdev, "no tag set: {:?}\n", e))?;
        let path = IoPath::create(pdev, admin, tagset, &layout, depth, id.crdt, dbbuf.clone())?;
        let irqs = vectors
            .register_all(flags, c"rnvme", |vector| {
                Ok(QueueIrq::new(path.clone(), vector))
            })
            .inspect_err(|e| dev_err!(pdev, "cannot request interrupts: {:?}\n", e))?;
        dev_info!(
            pdev,
            "{} I/O queues of {} entries: {} by interrupt, {} polled; shadow doorbells {}\n",
            path.len(),
            depth,
            irq_queues,
            poll_queues,
            if dbbuf.is_some() { "on" } else { "off" }
        );
        Ok(Io {
            _irqs: irqs,
            #[cfg(CONFIG_RNVME_COMPLETION_INJECT)]
            _inject: crate::io::inject::create(instance, &path)
                .inspect_err(|e| dev_err!(pdev, "no completion injection hook: {:?}\n", e))?,
            path,
        })
    }
}

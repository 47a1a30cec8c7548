// SPDX-License-Identifier: GPL-2.0

//! Physical Region Page (PRP) construction, after the NVMe 2.0 base specification, section
//! 4.1.1.
//!
//! A command's data is described by two PRP entries. The first, `prp1`, is the address of the
//! first byte: it may start anywhere in a memory page (dword aligned). Every further entry is
//! the address of a whole memory page. If the data touches at most two pages, `prp2` is the
//! second page; otherwise `prp2` points to a PRP list of the remaining pages, and when a list
//! page is not enough, the last entry of each list page points to the next list page.
//!
//! The data comes as DMA segments, so the layout PRPs can describe is: the first segment starts
//! anywhere (dword aligned), every other segment starts on a page boundary, and every segment
//! but the last ends on one. Anything else needs SGLs or a bounce buffer, and [`build`] refuses
//! it.
//!
//! Everything here is pure: no function touches the hardware.

use kernel::prelude::*;

use super::regs::PageSize;

/// Size of one PRP entry, in bytes.
const ENTRY_SIZE: u64 = 8;

/// A DMA-mapped piece of a request's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    /// Bus address of the first byte.
    pub(crate) addr: u64,
    /// Length in bytes.
    pub(crate) len: u32,
}

/// A PRP list page supplied by the caller: the controller reads it at `dma`, the driver writes
/// it through `entries`.
///
/// The list runs from `dma` to the end of its memory page, so `entries` must cover that much:
/// a page-aligned list page holds `page_size / 8` entries.
pub(crate) struct ListPage<'a> {
    /// Bus address of the first entry (8-byte aligned).
    pub(crate) dma: u64,
    /// CPU view of the entries.
    pub(crate) entries: &'a mut [u64],
}

/// The data pointer of a command, built by [`build`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Prp {
    /// PRP entry 1: the first byte of the data.
    pub(crate) prp1: u64,
    /// PRP entry 2: zero, the second page, or the first PRP list page.
    pub(crate) prp2: u64,
    /// How many of the caller's list pages were used.
    pub(crate) list_pages: usize,
    /// How many PRP entries the data needs, `prp1` included: with one list page, the list
    /// holds `entries - 1` of them.
    pub(crate) entries: usize,
}

/// Validates `segs` for page size `page` and returns the number of PRP entries they need.
fn count_entries(segs: &[Segment], page: PageSize) -> Result<usize> {
    let last = segs.len().checked_sub(1).ok_or(EINVAL)?;
    let mut count = 0usize;
    for (i, seg) in segs.iter().enumerate() {
        if seg.len == 0 {
            return Err(EINVAL);
        }
        let end = seg.addr.checked_add(u64::from(seg.len)).ok_or(EINVAL)?;
        let aligned_start = if i == 0 {
            seg.addr.is_multiple_of(4)
        } else {
            page.offset(seg.addr) == 0
        };
        if !aligned_start || (i != last && page.offset(end) != 0) {
            return Err(EINVAL);
        }
        let first_page = seg.addr >> page.shift();
        let last_page = (end - 1) >> page.shift();
        let pages = usize::try_from(last_page - first_page + 1).map_err(|_| EINVAL)?;
        count = count.checked_add(pages).ok_or(EINVAL)?;
    }
    Ok(count)
}

/// Calls `f` with every PRP entry of `segs`, in order: the first byte, then each further page.
///
/// `segs` must have passed [`count_entries`].
fn for_each_entry(segs: &[Segment], page: PageSize, mut f: impl FnMut(u64) -> Result) -> Result {
    let size = page.bytes() as u64;
    for seg in segs {
        let end = seg.addr + u64::from(seg.len);
        let mut addr = seg.addr;
        while addr < end {
            f(addr)?;
            addr = addr - page.offset(addr) + size;
        }
    }
    Ok(())
}

/// Returns how many entries fit in the list page at `dma`: from it to the end of its page.
fn list_capacity(dma: u64, page: PageSize) -> Result<usize> {
    if !dma.is_multiple_of(ENTRY_SIZE) {
        return Err(EINVAL);
    }
    let room = page.bytes() as u64 - page.offset(dma);
    usize::try_from(room / ENTRY_SIZE).map_err(|_| EINVAL)
}

/// Builds the PRP entries for data in `segs` with controller memory page size `page`, writing
/// PRP lists into `lists` when the data spans more than two pages.
///
/// List entries are written little-endian, as the controller reads them. The caller must make
/// them visible to the device before ringing the doorbell (coherent memory does).
///
/// # Errors
///
/// - `EINVAL` if `segs` is empty, a segment is empty or wraps the address space, or the layout
///   cannot be expressed with PRPs (see the [module documentation](self)), or a list page is
///   misaligned or its `entries` too short for its page.
/// - `E2BIG` if `lists` has too few pages.
///
/// Inlined into the I/O path, so that the common case, [`one_segment`], costs no call.
#[inline(always)]
pub(crate) fn build(segs: &[Segment], page: PageSize, lists: &mut [ListPage<'_>]) -> Result<Prp> {
    if let [seg] = segs {
        if let Some(prp) = one_segment(seg, page) {
            return Ok(prp);
        }
    }
    build_walk(segs, page, lists)
}

/// Returns the PRP entries of `seg` if it touches at most two memory pages and
/// [`count_entries`] accepts it, [`None`] otherwise.
///
/// Most small I/O is one such segment; this finds its entries without walking the data.
#[inline(always)]
fn one_segment(seg: &Segment, page: PageSize) -> Option<Prp> {
    let len = u64::from(seg.len);
    if len == 0 || !seg.addr.is_multiple_of(4) {
        return None;
    }
    seg.addr.checked_add(len)?;
    let size = page.bytes() as u64;
    // The bytes from the first one to the end of its page.
    let first = size - page.offset(seg.addr);
    let (prp2, entries) = if len <= first {
        (0, 1)
    } else if len - first <= size {
        // Cannot overflow: `addr + len` does not, and `first` is less than `len`.
        (seg.addr + first, 2)
    } else {
        return None;
    };
    Some(Prp {
        prp1: seg.addr,
        prp2,
        list_pages: 0,
        entries,
    })
}

/// [`build`] for any layout: walks the PRP entries of `segs`.
fn build_walk(segs: &[Segment], page: PageSize, lists: &mut [ListPage<'_>]) -> Result<Prp> {
    let count = count_entries(segs, page)?;
    let prp1 = segs.first().ok_or(EINVAL)?.addr;

    if count <= 2 {
        let mut prp2 = 0;
        let mut index = 0;
        for_each_entry(segs, page, |entry| {
            if index == 1 {
                prp2 = entry;
            }
            index += 1;
            Ok(())
        })?;
        return Ok(Prp {
            prp1,
            prp2,
            list_pages: 0,
            entries: count,
        });
    }

    let prp2 = lists.first().ok_or(E2BIG)?.dma;
    let mut list = 0;
    let mut slot = 0;
    let mut capacity = list_capacity(prp2, page)?;
    // Entries still to place in lists, the one at hand included.
    let mut left = count - 1;
    let mut first = true;
    for_each_entry(segs, page, |entry| {
        if first {
            // This one is `prp1`.
            first = false;
            return Ok(());
        }
        if slot + 1 >= capacity && left > 1 {
            // The last slot of the page chains to the next list page.
            let next = lists.get(list + 1).ok_or(E2BIG)?.dma;
            *lists[list].entries.get_mut(slot).ok_or(EINVAL)? = next.to_le();
            list += 1;
            slot = 0;
            capacity = list_capacity(next, page)?;
        }
        *lists[list].entries.get_mut(slot).ok_or(EINVAL)? = entry.to_le();
        slot += 1;
        left -= 1;
        Ok(())
    })?;

    Ok(Prp {
        prp1,
        prp2,
        list_pages: list + 1,
        entries: count,
    })
}

/// Returns how many page-aligned PRP list pages [`build`] needs for `total_len` bytes whose
/// first byte is at offset `first_offset` (taken modulo the page size) in its page.
///
/// The I/O path checks with it, at compile time, that its largest request fits in the one list
/// page of each tag.
pub(crate) const fn list_pages_needed(
    total_len: usize,
    first_offset: usize,
    page: PageSize,
) -> usize {
    if total_len == 0 {
        return 0;
    }
    let size = page.bytes();
    let pages = (first_offset % size)
        .saturating_add(total_len)
        .div_ceil(size);
    if pages <= 2 {
        return 0;
    }
    // Every list page but the last gives its last slot to the chain pointer.
    let per_page = size / ENTRY_SIZE as usize;
    (pages - 2).div_ceil(per_page - 1)
}

#[cfg(CONFIG_RNVME_KUNIT_TEST)]
#[kunit_tests(rnvme_prp)]
mod tests {
    use super::*;

    const K4: PageSize = PageSize::SZ_4K;
    const LIST0: u64 = 0x9000_0000;
    const LIST1: u64 = 0x9100_0000;
    const LIST2: u64 = 0x9200_0000;

    fn seg(addr: u64, len: u32) -> Segment {
        Segment { addr, len }
    }

    fn list(dma: u64, entries: &mut [u64]) -> ListPage<'_> {
        ListPage { dma, entries }
    }

    fn want(prp1: u64, prp2: u64, list_pages: usize, entries: usize) -> Prp {
        Prp {
            prp1,
            prp2,
            list_pages,
            entries,
        }
    }

    /// Returns `n` zeroed list entries.
    fn entries(n: usize) -> Result<KVec<u64>> {
        Ok(KVec::from_elem(0u64, n, GFP_KERNEL)?)
    }

    #[test]
    fn one_or_two_pages() -> Result {
        let mut lists: [ListPage<'_>; 0] = [];
        // One aligned page.
        let prp = build(&[seg(0x1000_0000, 4096)], K4, &mut lists)?;
        assert_eq!(prp, want(0x1000_0000, 0, 0, 1));
        // Small and inside one page.
        let prp = build(&[seg(0x1000_0200, 0x200)], K4, &mut lists)?;
        assert_eq!((prp.prp1, prp.prp2), (0x1000_0200, 0));
        // Up to the last byte of the page.
        let prp = build(&[seg(0x1000_0200, 0xe00)], K4, &mut lists)?;
        assert_eq!(prp.prp2, 0);
        // One byte more crosses into the next page.
        let prp = build(&[seg(0x1000_0200, 0xe04)], K4, &mut lists)?;
        assert_eq!((prp.prp1, prp.prp2), (0x1000_0200, 0x1000_1000));
        // Two aligned pages.
        let prp = build(&[seg(0x10_0000, 8192)], K4, &mut lists)?;
        assert_eq!((prp.prp1, prp.prp2), (0x10_0000, 0x10_1000));
        // Two segments of one page each.
        let prp = build(
            &[seg(0x5000_0800, 0x800), seg(0x7000_0000, 0x200)],
            K4,
            &mut lists,
        )?;
        assert_eq!((prp.prp1, prp.prp2), (0x5000_0800, 0x7000_0000));
        // A 64 KiB page holds what takes sixteen 4 KiB pages.
        let prp = build(&[seg(0x2_0000, 0x1_0000)], PageSize::SZ_64K, &mut lists)?;
        assert_eq!(prp, want(0x2_0000, 0, 0, 1));
        Ok(())
    }

    #[test]
    fn one_segment_agrees_with_the_walk() -> Result {
        // Every dword offset in a page and around its end, every length up to three pages
        // in steps that hit the page boundaries: the shortcut for one segment must give what
        // walking the entries gives, and decline exactly what needs a list or is refused.
        let mut e0 = entries(512)?;
        let mut checked = 0;
        for page in [K4, PageSize::SZ_64K] {
            let size = page.bytes() as u64;
            // `Iterator::chain` by name: the prelude's `Init` also has a `chain`.
            for offset in Iterator::chain(0..64, size - 64..size).map(|o| o * 4 % size) {
                for len in (4..=3 * size)
                    .step_by(4)
                    .filter(|l| l % 508 < 8 || l % size < 8)
                {
                    let s = seg(0x1_0000_0000 + offset, u32::try_from(len)?);
                    let mut lists = [list(LIST0, &mut e0)];
                    let walked = build_walk(&[s], page, &mut lists)?;
                    match one_segment(&s, page) {
                        Some(prp) => assert_eq!(prp, walked),
                        None => assert!(walked.entries > 2),
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000);
        // Refused alike: empty, misaligned, wrapping the address space.
        let mut lists: [ListPage<'_>; 0] = [];
        for s in [seg(0x1000, 0), seg(0x1002, 8), seg(u64::MAX - 3, 8)] {
            assert!(one_segment(&s, K4).is_none());
            assert_eq!(build(&[s], K4, &mut lists), Err(EINVAL));
        }
        Ok(())
    }

    #[test]
    fn short_list() -> Result {
        let mut e0 = entries(512)?;
        let mut lists = [list(LIST0, &mut e0)];
        let prp = build(&[seg(0x10_0000, 3 * 4096)], K4, &mut lists)?;
        assert_eq!(prp, want(0x10_0000, LIST0, 1, 3));
        assert_eq!(e0[..3], [0x10_1000, 0x10_2000, 0]);

        let mut e0 = entries(512)?;
        let mut lists = [list(LIST0, &mut e0)];
        let segs = [
            seg(0x5000_0800, 0x800),
            seg(0x7000_0000, 0x2000),
            seg(0x3000_0000, 0x10),
        ];
        let prp = build(&segs, K4, &mut lists)?;
        assert_eq!((prp.prp1, prp.prp2), (0x5000_0800, LIST0));
        assert_eq!(e0[..4], [0x7000_0000, 0x7000_1000, 0x3000_0000, 0]);
        Ok(())
    }

    #[test]
    fn two_mib() -> Result {
        // 2 MiB aligned: 512 pages, 511 of them in one list page.
        let mut e0 = entries(512)?;
        let mut lists = [list(LIST0, &mut e0)];
        let prp = build(&[seg(0x4000_0000, 2 << 20)], K4, &mut lists)?;
        assert_eq!(prp, want(0x4000_0000, LIST0, 1, 512));
        assert_eq!(e0[0], 0x4000_1000);
        assert_eq!(e0[510], 0x4000_0000 + 511 * 4096);
        assert_eq!(e0[511], 0);

        // 2 MiB at an offset: 513 pages, the list page full to its last slot, no chain.
        let mut e0 = entries(512)?;
        let mut lists = [list(LIST0, &mut e0)];
        let prp = build(&[seg(0x4000_0200, 2 << 20)], K4, &mut lists)?;
        assert_eq!((prp.list_pages, prp.entries), (1, 513));
        assert_eq!(e0[0], 0x4000_1000);
        assert_eq!(e0[511], 0x4000_0000 + 512 * 4096);
        Ok(())
    }

    #[test]
    fn chained_lists() -> Result {
        // 4 MiB aligned: 1024 pages, 1023 list entries: 511 and a chain pointer, then 512.
        let mut e0 = entries(512)?;
        let mut e1 = entries(512)?;
        let mut lists = [list(LIST0, &mut e0), list(LIST1, &mut e1)];
        let prp = build(&[seg(0x4000_0000, 4 << 20)], K4, &mut lists)?;
        assert_eq!(prp, want(0x4000_0000, LIST0, 2, 1024));
        assert_eq!(e0[510], 0x4000_0000 + 511 * 4096);
        assert_eq!(e0[511], LIST1);
        assert_eq!(e1[0], 0x4000_0000 + 512 * 4096);
        assert_eq!(e1[511], 0x4000_0000 + 1023 * 4096);

        // One entry more than two list pages hold needs a third.
        let mut e0 = entries(512)?;
        let mut e1 = entries(512)?;
        let mut e2 = entries(512)?;
        let mut lists = [
            list(LIST0, &mut e0),
            list(LIST1, &mut e1),
            list(LIST2, &mut e2),
        ];
        let segs = [seg(0x4000_0000, 4 << 20), seg(0x8000_0000, 4096)];
        let prp = build(&segs, K4, &mut lists)?;
        assert_eq!(prp.list_pages, 3);
        assert_eq!(e1[511], LIST2);
        assert_eq!(e2[0], 0x4000_0000 + 1023 * 4096);
        assert_eq!(e2[1], 0x8000_0000);
        assert_eq!(e2[2], 0);
        Ok(())
    }

    #[test]
    fn list_at_an_offset() -> Result {
        // A list starting 8 entries before the end of its page holds 7 entries and a chain.
        let mut e0 = entries(8)?;
        let mut e1 = entries(512)?;
        let mut lists = [list(LIST0 + 4096 - 64, &mut e0), list(LIST1, &mut e1)];
        let prp = build(&[seg(0x10_0000, 10 * 4096)], K4, &mut lists)?;
        assert_eq!(prp.prp2, LIST0 + 4096 - 64);
        assert_eq!(prp.list_pages, 2);
        assert_eq!(e0[6], 0x10_7000);
        assert_eq!(e0[7], LIST1);
        assert_eq!(e1[..3], [0x10_8000, 0x10_9000, 0]);

        // A list page that is not qword aligned.
        let mut e0 = entries(512)?;
        let mut lists = [list(LIST0 + 4, &mut e0)];
        assert_eq!(build(&[seg(0, 3 * 4096)], K4, &mut lists), Err(EINVAL));
        // A CPU view shorter than the list it must hold.
        let mut e0 = entries(2)?;
        let mut lists = [list(LIST0, &mut e0)];
        assert_eq!(build(&[seg(0, 4 * 4096)], K4, &mut lists), Err(EINVAL));
        Ok(())
    }

    #[test]
    fn too_many_entries() -> Result {
        let mut lists: [ListPage<'_>; 0] = [];
        assert_eq!(build(&[seg(0, 3 * 4096)], K4, &mut lists), Err(E2BIG));
        let mut e0 = entries(512)?;
        let mut lists = [list(LIST0, &mut e0)];
        assert_eq!(
            build(&[seg(0x4000_0200, 4 << 20)], K4, &mut lists),
            Err(E2BIG)
        );
        Ok(())
    }

    #[test]
    fn unexpressible_layouts() -> Result {
        let mut e0 = entries(512)?;
        let mut lists = [list(LIST0, &mut e0)];
        // No data, empty segment.
        assert_eq!(build(&[], K4, &mut lists), Err(EINVAL));
        assert_eq!(build(&[seg(0x1000, 0)], K4, &mut lists), Err(EINVAL));
        assert_eq!(
            build(&[seg(0x1000, 4096), seg(0x3000, 0)], K4, &mut lists),
            Err(EINVAL)
        );
        // First byte not dword aligned.
        assert_eq!(build(&[seg(0x1002, 512)], K4, &mut lists), Err(EINVAL));
        // A later segment not starting on a page boundary.
        assert_eq!(
            build(&[seg(0x1000, 4096), seg(0x3010, 4096)], K4, &mut lists),
            Err(EINVAL)
        );
        // A segment other than the last not ending on one.
        assert_eq!(
            build(&[seg(0x1000, 0x800), seg(0x3000, 4096)], K4, &mut lists),
            Err(EINVAL)
        );
        // Fine with 4 KiB pages, not with 8 KiB ones.
        let segs = [seg(0x1000, 4096), seg(0x3000, 4096)];
        assert!(build(&segs, K4, &mut lists).is_ok());
        assert_eq!(build(&segs, PageSize::new(8192)?, &mut lists), Err(EINVAL));
        // Wrapping the address space.
        assert_eq!(
            build(&[seg(u64::MAX - 0xfff, 8192)], K4, &mut lists),
            Err(EINVAL)
        );
        Ok(())
    }

    #[test]
    fn list_pages_count() -> Result {
        assert_eq!(list_pages_needed(0, 0, K4), 0);
        assert_eq!(list_pages_needed(4096, 0, K4), 0);
        assert_eq!(list_pages_needed(8192, 0, K4), 0);
        assert_eq!(list_pages_needed(8192, 0x200, K4), 1);
        assert_eq!(list_pages_needed(512, 0xf00, K4), 0);
        assert_eq!(list_pages_needed(2 << 20, 0, K4), 1);
        assert_eq!(list_pages_needed(2 << 20, 0x200, K4), 1);
        assert_eq!(list_pages_needed((2 << 20) + 4096, 0x200, K4), 2);
        assert_eq!(list_pages_needed(4 << 20, 0, K4), 2);
        assert_eq!(list_pages_needed((4 << 20) + 4096, 0, K4), 3);
        // The offset counts modulo the page size.
        assert_eq!(list_pages_needed(8192, 4096 + 0x200, K4), 1);
        assert_eq!(list_pages_needed(2 << 20, 0, PageSize::SZ_64K), 1);
        assert_eq!(list_pages_needed(128 << 10, 0, PageSize::SZ_64K), 0);
        Ok(())
    }
}

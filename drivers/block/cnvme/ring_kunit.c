// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite cnvme_ring: the submission and completion queue helpers of
 * io.h (the I/O queue depth, ring arithmetic, pushing a command, the phase
 * check) and the shadow doorbell event check.
 */

#include <kunit/test.h>
#include <linux/string.h>

#include "io.h"

static void depth_limits(struct kunit *test)
{
	struct cnvme_sq_ring sq;
	struct cnvme_cq_ring cq;

	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_init(&sq, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_init(&sq, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_init(&sq, 65537), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_cq_ring_init(&cq, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, cnvme_cq_ring_init(&cq, 65537), -EINVAL);
	KUNIT_ASSERT_EQ(test, cnvme_sq_ring_init(&sq, 2), 0);
	KUNIT_EXPECT_EQ(test, sq.depth, 2);
	KUNIT_ASSERT_EQ(test, cnvme_cq_ring_init(&cq, 65536), 0);
	KUNIT_EXPECT_EQ(test, cq.depth, 65536);
}

static void io_queue_depth(struct kunit *test)
{
	/* CAP.MQES is 0's based: 1, the smallest valid, is 2 slots. */
	KUNIT_EXPECT_EQ(test, cnvme_io_queue_depth(1, 1024), 2);
	KUNIT_EXPECT_EQ(test, cnvme_io_queue_depth(30, 1024), 31);
	KUNIT_EXPECT_EQ(test, cnvme_io_queue_depth(1023, 1024), 1024);
	KUNIT_EXPECT_EQ(test, cnvme_io_queue_depth(0xffff, 1024), 1024);
	/* The io_queue_depth parameter at its bounds. */
	KUNIT_EXPECT_EQ(test, cnvme_io_queue_depth(0xffff, 2), 2);
	KUNIT_EXPECT_EQ(test, cnvme_io_queue_depth(30, 2), 2);
	KUNIT_EXPECT_EQ(test, cnvme_io_queue_depth(0xffff, CNVME_MAX_IO_QUEUE_DEPTH),
			4095);
	/* Only bits 15:0 of CAP are MQES (here with TO 0xf0 and CQR). */
	KUNIT_EXPECT_EQ(test, cnvme_io_queue_depth(0xf00001001eULL, 1024), 31);
	/* MQES 0 is invalid: no depth. */
	KUNIT_EXPECT_EQ(test, cnvme_io_queue_depth(0, 1024), 0);
	KUNIT_EXPECT_EQ(test, cnvme_io_queue_depth(0xf000010000ULL, 1024), 0);
	/* The largest tag of the deepest queue survives the command identifier. */
	KUNIT_EXPECT_EQ(test, cnvme_cid_tag(cnvme_cid(CNVME_MAX_IO_QUEUE_DEPTH - 2, 15)),
			CNVME_MAX_IO_QUEUE_DEPTH - 2);
}

static void sq_tail_wraps(struct kunit *test)
{
	struct cnvme_sq_ring sq;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, cnvme_sq_ring_init(&sq, 4), 0);
	KUNIT_EXPECT_EQ(test, sq.tail, 0);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_advance(&sq), 1);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_advance(&sq), 2);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_advance(&sq), 3);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_advance(&sq), 0);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_advance(&sq), 1);

	/* The largest ring wraps after slot 65535. */
	KUNIT_ASSERT_EQ(test, cnvme_sq_ring_init(&sq, 65536), 0);
	for (i = 0; i < 65535; i++)
		cnvme_sq_ring_advance(&sq);
	KUNIT_EXPECT_EQ(test, sq.tail, 65535);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_advance(&sq), 0);

	/* An odd depth that is not a power of two. */
	KUNIT_ASSERT_EQ(test, cnvme_sq_ring_init(&sq, 3), 0);
	cnvme_sq_ring_advance(&sq);
	cnvme_sq_ring_advance(&sq);
	KUNIT_EXPECT_EQ(test, cnvme_sq_ring_advance(&sq), 0);
}

static void sq_full(struct kunit *test)
{
	struct nvme_command sqes[4] = {}, cmd = {};
	struct cnvme_sq_ring sq;
	struct cnvme_sq q = {};

	KUNIT_ASSERT_EQ(test, cnvme_sq_ring_init(&sq, 4), 0);
	KUNIT_EXPECT_FALSE(test, cnvme_sq_ring_is_full(&sq, 0));
	cnvme_sq_ring_advance(&sq);
	cnvme_sq_ring_advance(&sq);
	cnvme_sq_ring_advance(&sq);
	/* Three commands in a ring of four: full. */
	KUNIT_EXPECT_TRUE(test, cnvme_sq_ring_is_full(&sq, 0));
	/* The controller consumed one. */
	KUNIT_EXPECT_FALSE(test, cnvme_sq_ring_is_full(&sq, 1));
	/* Tail wrapped behind the head. */
	cnvme_sq_ring_advance(&sq);
	KUNIT_EXPECT_EQ(test, sq.tail, 0);
	KUNIT_EXPECT_TRUE(test, cnvme_sq_ring_is_full(&sq, 1));
	KUNIT_EXPECT_FALSE(test, cnvme_sq_ring_is_full(&sq, 2));

	/* cnvme_sq_push() fills the slots in order and refuses a full ring. */
	q.sqes = sqes;
	KUNIT_ASSERT_EQ(test, cnvme_sq_ring_init(&q.ring, 4), 0);
	for (cmd.common.command_id = 1; cmd.common.command_id <= 3; cmd.common.command_id++)
		KUNIT_EXPECT_EQ(test, cnvme_sq_push(&q, &cmd, 0), 0);
	KUNIT_EXPECT_EQ(test, cnvme_sq_push(&q, &cmd, 0), -EBUSY);
	KUNIT_EXPECT_EQ(test, q.ring.tail, 3);
	KUNIT_EXPECT_EQ(test, sqes[0].common.command_id, 1);
	KUNIT_EXPECT_EQ(test, sqes[2].common.command_id, 3);
	KUNIT_EXPECT_EQ(test, sqes[3].common.command_id, 0);
	KUNIT_EXPECT_EQ(test, cnvme_sq_push(&q, &cmd, 1), 0);
	KUNIT_EXPECT_EQ(test, q.ring.tail, 0);
	KUNIT_EXPECT_EQ(test, sqes[3].common.command_id, 4);

	KUNIT_ASSERT_EQ(test, cnvme_sq_ring_init(&sq, 2), 0);
	KUNIT_EXPECT_FALSE(test, cnvme_sq_ring_is_full(&sq, 0));
	KUNIT_EXPECT_TRUE(test, cnvme_sq_ring_is_full(&sq, 1));
	/* A head beyond the ring neither crashes nor reads as full. */
	KUNIT_EXPECT_FALSE(test, cnvme_sq_ring_is_full(&sq, 7));
}

static void cq_phase_flips(struct kunit *test)
{
	struct nvme_completion cqes[2] = {};
	struct cnvme_cq_ring cq;
	struct cnvme_cq q = { .cqes = cqes };

	KUNIT_ASSERT_EQ(test, cnvme_cq_ring_init(&cq, 2), 0);
	KUNIT_EXPECT_TRUE(test, cq.phase);
	/* A zeroed entry is not new; one the controller wrote in the first pass is. */
	KUNIT_EXPECT_FALSE(test, cnvme_cq_ring_is_new(&cq, 0));
	KUNIT_EXPECT_TRUE(test, cnvme_cq_ring_is_new(&cq, 1));
	KUNIT_EXPECT_EQ(test, cnvme_cq_ring_advance(&cq), 1);
	KUNIT_EXPECT_TRUE(test, cq.phase);
	KUNIT_EXPECT_EQ(test, cnvme_cq_ring_advance(&cq), 0);
	KUNIT_EXPECT_FALSE(test, cq.phase);
	/* Second pass: phase 0 is new, a stale phase 1 entry is not. */
	KUNIT_EXPECT_TRUE(test, cnvme_cq_ring_is_new(&cq, 0));
	KUNIT_EXPECT_FALSE(test, cnvme_cq_ring_is_new(&cq, 1));
	/* Status bits other than the phase do not matter. */
	KUNIT_EXPECT_TRUE(test, cnvme_cq_ring_is_new(&cq, 0xfffe));
	KUNIT_EXPECT_FALSE(test, cnvme_cq_ring_is_new(&cq, 0xffff));
	KUNIT_EXPECT_EQ(test, cnvme_cq_ring_advance(&cq), 1);
	KUNIT_EXPECT_EQ(test, cnvme_cq_ring_advance(&cq), 0);
	KUNIT_EXPECT_TRUE(test, cq.phase);
	KUNIT_EXPECT_TRUE(test, cnvme_cq_ring_is_new(&cq, 0x8003));

	/* cnvme_cqe_pending() looks at the phase tag of the entry at the head. */
	KUNIT_ASSERT_EQ(test, cnvme_cq_ring_init(&q.ring, 2), 0);
	KUNIT_EXPECT_FALSE(test, cnvme_cqe_pending(&q));
	cqes[0].status = cpu_to_le16(0xfffe);
	KUNIT_EXPECT_FALSE(test, cnvme_cqe_pending(&q));
	cqes[0].status = cpu_to_le16(1);
	KUNIT_EXPECT_TRUE(test, cnvme_cqe_pending(&q));
	cnvme_cq_ring_advance(&q.ring);
	KUNIT_EXPECT_FALSE(test, cnvme_cqe_pending(&q));
	cqes[1].status = cpu_to_le16(1);
	KUNIT_EXPECT_TRUE(test, cnvme_cqe_pending(&q));
	/* After the wrap, the entries of the first pass are stale. */
	cnvme_cq_ring_advance(&q.ring);
	KUNIT_EXPECT_FALSE(test, cnvme_cqe_pending(&q));
	cqes[0].status = 0;
	KUNIT_EXPECT_TRUE(test, cnvme_cqe_pending(&q));
}

static void cq_full_lap(struct kunit *test)
{
	struct cnvme_cq_ring cq;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, cnvme_cq_ring_init(&cq, 1024), 0);
	for (i = 1; i < 1024; i++) {
		KUNIT_EXPECT_EQ(test, cnvme_cq_ring_advance(&cq), i);
		KUNIT_EXPECT_TRUE(test, cq.phase);
	}
	KUNIT_EXPECT_EQ(test, cnvme_cq_ring_advance(&cq), 0);
	KUNIT_EXPECT_FALSE(test, cq.phase);
	for (i = 0; i < 1024; i++)
		cnvme_cq_ring_advance(&cq);
	KUNIT_EXPECT_EQ(test, cq.head, 0);
	KUNIT_EXPECT_TRUE(test, cq.phase);
}

static void shadow_doorbell_events(struct kunit *test)
{
	/* The event index is the old value: the first step past it needs an event. */
	KUNIT_EXPECT_TRUE(test, cnvme_need_event(5, 6, 5));
	/* Already past it. */
	KUNIT_EXPECT_FALSE(test, cnvme_need_event(5, 7, 6));
	/* Crossed in a batch. */
	KUNIT_EXPECT_TRUE(test, cnvme_need_event(4, 6, 2));
	KUNIT_EXPECT_TRUE(test, cnvme_need_event(2, 6, 2));
	KUNIT_EXPECT_TRUE(test, cnvme_need_event(5, 6, 2));
	/* Not reached yet. */
	KUNIT_EXPECT_FALSE(test, cnvme_need_event(6, 6, 2));
	KUNIT_EXPECT_FALSE(test, cnvme_need_event(10, 6, 2));
	/* No movement, no event. */
	KUNIT_EXPECT_FALSE(test, cnvme_need_event(5, 5, 5));
	/* Across the 16-bit wrap. */
	KUNIT_EXPECT_TRUE(test, cnvme_need_event(0xffff, 0x0002, 0xfffe));
	KUNIT_EXPECT_TRUE(test, cnvme_need_event(0x0001, 0x0002, 0xfffe));
	KUNIT_EXPECT_FALSE(test, cnvme_need_event(0x0002, 0x0002, 0xfffe));
	KUNIT_EXPECT_FALSE(test, cnvme_need_event(0xfffd, 0x0002, 0xfffe));
	KUNIT_EXPECT_TRUE(test, cnvme_need_event(0xffff, 0x0000, 0xffff));
}

static struct kunit_case cnvme_ring_cases[] = {
	KUNIT_CASE(depth_limits),
	KUNIT_CASE(io_queue_depth),
	KUNIT_CASE(sq_tail_wraps),
	KUNIT_CASE(sq_full),
	KUNIT_CASE(cq_phase_flips),
	KUNIT_CASE(cq_full_lap),
	KUNIT_CASE(shadow_doorbell_events),
	{}
};

static struct kunit_suite cnvme_ring_suite = {
	.name = "cnvme_ring",
	.test_cases = cnvme_ring_cases,
};

kunit_test_suite(cnvme_ring_suite);

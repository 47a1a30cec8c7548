// SPDX-License-Identifier: GPL-2.0
/*
 * Completion injection, for test builds (CONFIG_CNVME_COMPLETION_INJECT):
 * one debugfs file per controller, cnvme<instance>/inject_completion.
 *
 * Reading it lists the commands in flight on the I/O queues, one
 * "<qid> <cid>" line each, in decimal. Writing "<qid> <cid>" to it processes
 * a successful completion of command identifier <cid> on I/O queue <qid> as
 * if the controller had posted it (cnvme_io_inject_completion()), so that
 * tests can show what the driver makes of a completion it does not expect:
 * a stale generation, a bogus tag, a duplicate.
 */

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kstrtox.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "io.h"

static int inject_show(struct seq_file *m, void *v)
{
	cnvme_io_show_inflight(m->private, m);
	return 0;
}

static int inject_open(struct inode *inode, struct file *file)
{
	return single_open(file, inject_show, inode->i_private);
}

/* Takes one "<qid> <cid>" line, both decimal. */
static ssize_t inject_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	char buf[24], *line, *sep;
	u16 qid, cid;
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	line = strim(buf);
	sep = strchr(line, ' ');
	if (!sep)
		return -EINVAL;
	*sep = '\0';
	if (kstrtou16(line, 10, &qid) || kstrtou16(skip_spaces(sep + 1), 10, &cid))
		return -EINVAL;
	ret = cnvme_io_inject_completion(m->private, qid, cid);
	if (ret)
		return ret;
	return count;
}

static const struct file_operations inject_fops = {
	.owner		= THIS_MODULE,
	.open		= inject_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.write		= inject_write,
	.release	= single_release,
};

/**
 * cnvme_inject_add() - Create the debugfs folder of a controller,
 *	cnvme<instance>, and its inject_completion file.
 * @io: the controller's I/O queues, which must outlive the file.
 * @instance: the controller's instance number, as in its disks' names.
 *
 * Return: the folder, for cnvme_inject_remove().
 */
struct dentry *cnvme_inject_add(struct cnvme_io_queues *io, u32 instance)
{
	char name[16];
	struct dentry *dir;

	snprintf(name, sizeof(name), "cnvme%u", instance);
	dir = debugfs_create_dir(name, NULL);

	debugfs_create_file("inject_completion", 0600, dir, io, &inject_fops);
	return dir;
}

/**
 * cnvme_inject_remove() - Remove the debugfs folder of a controller.
 * @dir: the folder, from cnvme_inject_add().
 *
 * Waits for the readers and writers of its file to finish.
 */
void cnvme_inject_remove(struct dentry *dir)
{
	debugfs_remove_recursive(dir);
}

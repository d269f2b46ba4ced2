// Command btrfsprep is the /init of a test VM that turns a btrfs made by
// mkfs.btrfs --rootdir into a layout with subvolumes, which mkfs.btrfs
// 6.2 cannot make and which needs a kernel (so root and a loop device on
// the host, which CI machines may not have). The filesystem on
// prep.dev= holds /stage/plan and /stage/tree. The plan's lines are
// "subvol PATH" (create a subvolume at PATH from the top level, parents
// first) and "default PATH" (make it the default subvolume). After the
// subvolumes are made, /stage/tree is copied over the top level, so each
// file lands in the subvolume that holds its path; /stage is removed.
// It prints "PREP: done" or "PREP: error: …" and powers off.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/leapboot/leapboot/boot/kmod"
)

// btrfs ioctls (linux/btrfs.h).
const (
	iocSubvolCreate = 0x5000940e // _IOW(0x94, 14, struct btrfs_ioctl_vol_args)
	iocInoLookup    = 0xd0009412 // _IOWR(0x94, 18, struct btrfs_ioctl_ino_lookup_args)
	iocDefaultSub   = 0x40089413 // _IOW(0x94, 19, __u64)
	firstFreeObject = 256        // a subvolume's root directory inode
)

func main() {
	err := run()
	if err != nil {
		fmt.Println("PREP: error:", err)
	} else {
		fmt.Println("PREP: done")
	}
	unix.Sync()
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
}

func run() error {
	for _, m := range []struct{ src, dir, typ string }{{"proc", "/proc", "proc"}, {"sys", "/sys", "sysfs"}, {"dev", "/dev", "devtmpfs"}} {
		os.MkdirAll(m.dir, 0o755)
		if err := unix.Mount(m.src, m.dir, m.typ, 0, ""); err != nil {
			return fmt.Errorf("mount %s: %w", m.dir, err)
		}
	}
	if deps, _ := filepath.Glob("/lib/modules/*/modules.dep"); len(deps) == 1 {
		l, err := kmod.NewLoader(filepath.Dir(deps[0]))
		if err != nil {
			return err
		}
		// Some fail on QEMU's CPU model (sha256-ssse3): a missing
		// driver shows as the mount failing.
		if _, errs := l.Load("virtio_pci", "virtio_blk", "btrfs"); len(errs) > 0 {
			fmt.Println("PREP: modules:", errs)
		}
	}
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return err
	}
	dev := ""
	for _, w := range strings.Fields(string(b)) {
		if v, ok := strings.CutPrefix(w, "prep.dev="); ok {
			dev = v
		}
	}
	if dev == "" {
		return errors.New("no prep.dev= on the command line")
	}
	var mountErr error
	for try := 0; try < 100; try++ { // the device appears once its driver probed
		if mountErr = unix.Mount(dev, "/mnt", "btrfs", 0, "subvolid=5"); mountErr == nil {
			break
		}
		unix.Nanosleep(&unix.Timespec{Nsec: 100e6}, nil)
	}
	if mountErr != nil {
		return fmt.Errorf("mount %s: %w", dev, mountErr)
	}
	plan, err := os.ReadFile("/mnt/stage/plan")
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(plan))
	var deflt string
	for sc.Scan() {
		verb, p, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		switch verb {
		case "subvol":
			if err := subvolCreate(filepath.Join("/mnt", p)); err != nil {
				return fmt.Errorf("subvolume %s: %w", p, err)
			}
		case "default":
			deflt = p
		case "":
		default:
			return fmt.Errorf("plan: unknown %q", verb)
		}
	}
	if err := copyTree("/mnt/stage/tree", "/mnt"); err != nil {
		return err
	}
	if deflt != "" {
		if err := setDefault(filepath.Join("/mnt", deflt)); err != nil {
			return fmt.Errorf("default %s: %w", deflt, err)
		}
	}
	if err := os.RemoveAll("/mnt/stage"); err != nil {
		return err
	}
	return unix.Unmount("/mnt", 0)
}

func subvolCreate(p string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	parent, err := unix.Open(filepath.Dir(p), unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(parent)
	var args struct {
		fd   int64
		name [4088]byte
	}
	copy(args.name[:], filepath.Base(p))
	return ioctl(parent, iocSubvolCreate, unsafe.Pointer(&args))
}

func setDefault(p string) error {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var look struct {
		treeid, objectid uint64
		name             [4080]byte
	}
	look.objectid = firstFreeObject
	if err := ioctl(fd, iocInoLookup, unsafe.Pointer(&look)); err != nil {
		return fmt.Errorf("ino lookup: %w", err)
	}
	id := look.treeid
	return ioctl(fd, iocDefaultSub, unsafe.Pointer(&id))
}

func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg)); e != 0 {
		return e
	}
	return nil
}

// copyTree copies the files and directories below src into dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(to)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

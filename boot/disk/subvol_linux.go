package disk

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// btrfsDefaultSubvol returns the path of dev's default subvolume from the
// top level ("@/.snapshots/1/snapshot" on openSUSE, "" when the default
// is the top level). The kernel has no call that says it directly, so the
// default subvolume is mounted read-only at dir (a btrfs mount without
// subvol= gets the default), /proc/self/mountinfo names that mount's root
// within the filesystem, and it is unmounted again.
func btrfsDefaultSubvol(dev, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	defer os.Remove(dir)
	if err := mountBtrfs(dev, dir, ""); err != nil {
		return "", fmt.Errorf("mount the default subvolume of %s: %w", dev, err)
	}
	defer unix.Unmount(dir, unix.MNT_DETACH)
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	root, ok := mountRoot(string(b), dir)
	if !ok {
		return "", fmt.Errorf("%s is not in /proc/self/mountinfo", dir)
	}
	return strings.Trim(root, "/"), nil
}

// mountBtrfs mounts a btrfs read-only without replaying its log, with
// extra options (subvolid=5, or "" for the default subvolume). The option
// is rescue=nologreplay since Linux 5.11; 6.x kernels dropped the older
// nologreplay, which is tried for kernels before 5.11.
func mountBtrfs(dev, dir, extra string) error {
	flags := uintptr(unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	var err error
	for _, o := range []string{"rescue=nologreplay", "nologreplay"} {
		if extra != "" {
			o = extra + "," + o
		}
		if err = unix.Mount(dev, dir, "btrfs", flags, o); err != unix.EINVAL {
			return err
		}
	}
	return err
}

// mountRoot returns the root (the fourth field: the directory of the
// filesystem mounted) of the last mount at dir in a mountinfo text.
func mountRoot(mountinfo, dir string) (string, bool) {
	root, ok := "", false
	for _, line := range strings.Split(mountinfo, "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || unescapeMount(f[4]) != dir {
			continue
		}
		root, ok = unescapeMount(f[3]), true
	}
	return root, ok
}

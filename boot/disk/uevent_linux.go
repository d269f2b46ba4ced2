package disk

import (
	"context"
	"strings"

	"golang.org/x/sys/unix"
)

// WatchBlock reports block devices the kernel adds from now on (a USB stick
// plugged in while the menu is shown), by name ("sdb1"), from the kernel's
// uevent netlink socket. The channel closes when ctx ends.
func WatchBlock(ctx context.Context) (<-chan string, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_KOBJECT_UEVENT)
	if err != nil {
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	ch := make(chan string, 16)
	go func() {
		<-ctx.Done()
		unix.Close(fd) // ends the reader below
	}()
	go func() {
		defer close(ch)
		buf := make([]byte, 8192)
		for {
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				if err == unix.EINTR {
					continue
				}
				return
			}
			if name, ok := ParseUevent(buf[:n]); ok {
				select {
				case ch <- name:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return ch, nil
}

// ParseUevent reads one kernel uevent message ("add@/devices/...\0KEY=value\0…")
// and returns the device name when it announces a new block device.
func ParseUevent(msg []byte) (string, bool) {
	fields := strings.Split(string(msg), "\x00")
	if len(fields) == 0 || !strings.HasPrefix(fields[0], "add@") {
		return "", false
	}
	var subsystem, devname string
	for _, f := range fields[1:] {
		if v, ok := strings.CutPrefix(f, "SUBSYSTEM="); ok {
			subsystem = v
		}
		if v, ok := strings.CutPrefix(f, "DEVNAME="); ok {
			devname = v
		}
	}
	if subsystem != "block" || devname == "" {
		return "", false
	}
	return strings.TrimPrefix(devname, "/dev/"), true
}

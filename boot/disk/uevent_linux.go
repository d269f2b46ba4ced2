package disk

import (
	"context"
	"strings"

	"golang.org/x/sys/unix"
)

// Uevent is what a kernel uevent says about a device that appeared.
type Uevent struct {
	// Block is the name of a new block device ("sdb1"), else "".
	Block string
	// Modalias is the new device's modalias, for loading its driver.
	Modalias string
}

// Watch reports devices the kernel adds from now on (a USB stick plugged in
// while the menu is shown), from the kernel's uevent netlink socket. The
// channel closes when ctx ends.
func Watch(ctx context.Context) (<-chan Uevent, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_KOBJECT_UEVENT)
	if err != nil {
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	ch := make(chan Uevent, 64)
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
			if ev, ok := ParseUevent(buf[:n]); ok {
				select {
				case ch <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return ch, nil
}

// ParseUevent reads one kernel uevent message ("add@/devices/...\0KEY=value\0…")
// and reports a device that was added: a block device, or one with a
// modalias. Other messages (removals, udev's own) are not reported.
func ParseUevent(msg []byte) (Uevent, bool) {
	fields := strings.Split(string(msg), "\x00")
	if len(fields) == 0 || !strings.HasPrefix(fields[0], "add@") {
		return Uevent{}, false
	}
	var subsystem, devname string
	var ev Uevent
	for _, f := range fields[1:] {
		if v, ok := strings.CutPrefix(f, "SUBSYSTEM="); ok {
			subsystem = v
		}
		if v, ok := strings.CutPrefix(f, "DEVNAME="); ok {
			devname = v
		}
		if v, ok := strings.CutPrefix(f, "MODALIAS="); ok {
			ev.Modalias = v
		}
	}
	if subsystem == "block" && devname != "" {
		ev.Block = strings.TrimPrefix(devname, "/dev/")
	}
	return ev, ev.Block != "" || ev.Modalias != ""
}

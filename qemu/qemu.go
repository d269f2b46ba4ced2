// Package qemu runs leapboot in QEMU for the end-to-end tests and the demo:
// it starts a VM with a kernel, an initramfs and disk images, reads the
// serial console, waits for expected output with timeouts, sends keys, and
// kills the VM when done. It also builds disk images with the real tools
// (BuildDisk) and the demo set-up (Demo).
//
// The VM uses TCG (-accel tcg): KVM is not usable on the machines this is
// developed on, and TCG works everywhere.
package qemu

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Disk is a disk image attached to the VM.
type Disk struct {
	Path string
	// Bus is how the disk is attached: "virtio" (default), "ahci" (SATA),
	// "nvme", "scsi" (virtio-scsi, for many disks), "usb" (USB mass
	// storage on an xHCI controller) or "ide".
	Bus string
	// ReadOnly keeps the image file unchanged (read-only for virtio, a
	// snapshot overlay on the other buses).
	ReadOnly bool
	// Media is "cdrom" for an optical drive.
	Media string
	// Driver wraps the image in a QEMU block driver, for example
	// "blkdebug:rules.conf:" to inject I/O errors.
	Driver string
}

// Options describe a VM.
type Options struct {
	Kernel, Initrd, Append string
	Disks                  []Disk
	Memory                 string // default "1G"
	Extra                  []string
	// Log receives everything the serial console prints.
	Log io.Writer
}

// Args returns QEMU's command line for opts.
func (o Options) Args() []string {
	mem := o.Memory
	if mem == "" {
		mem = "1G"
	}
	args := []string{"-accel", "tcg", "-m", mem, "-nographic", "-no-reboot", "-nic", "none", "-serial", "mon:stdio"}
	if o.Kernel != "" {
		args = append(args, "-kernel", o.Kernel)
	}
	if o.Initrd != "" {
		args = append(args, "-initrd", o.Initrd)
	}
	if o.Append != "" {
		args = append(args, "-append", o.Append)
	}
	ahci, usb, scsi := false, false, false
	for i, d := range o.Disks {
		spec := fmt.Sprintf("file=%s%s,format=raw", d.Driver, d.Path)
		switch {
		case d.ReadOnly && (d.Bus == "" || d.Bus == "virtio" || d.Bus == "scsi"):
			spec += ",readonly=on"
		case d.ReadOnly && d.Media != "cdrom":
			// SATA, NVMe and USB disks cannot be read-only in QEMU:
			// writes go to a temporary overlay and the file stays as it is.
			spec += ",snapshot=on"
		}
		if d.Media != "" {
			spec += ",media=" + d.Media
		}
		id := fmt.Sprintf("disk%d", i)
		switch d.Bus {
		case "", "virtio":
			args = append(args, "-drive", spec+",if=virtio")
		case "ide":
			args = append(args, "-drive", spec+",if=ide")
		case "ahci":
			if !ahci {
				args, ahci = append(args, "-device", "ahci,id=ahci"), true
			}
			args = append(args, "-drive", spec+",if=none,id="+id, "-device", fmt.Sprintf("ide-hd,drive=%s,bus=ahci.%d", id, i%6))
		case "nvme":
			args = append(args, "-drive", spec+",if=none,id="+id, "-device", fmt.Sprintf("nvme,serial=leapboot%d,drive=%s", i, id))
		case "scsi":
			if !scsi {
				args, scsi = append(args, "-device", "virtio-scsi-pci,id=scsi"), true
			}
			args = append(args, "-drive", spec+",if=none,id="+id, "-device", fmt.Sprintf("scsi-hd,drive=%s,bus=scsi.0,scsi-id=%d,lun=0", id, i%256))
		case "usb":
			if !usb {
				args, usb = append(args, "-device", "qemu-xhci,id=xhci"), true
			}
			args = append(args, "-drive", spec+",if=none,id="+id, "-device", "usb-storage,bus=xhci.0,drive="+id)
		}
	}
	return append(args, o.Extra...)
}

// VM is a running QEMU.
type VM struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser

	mu     sync.Mutex
	out    []byte
	pos    int // Expect searches from here
	update chan struct{}
	done   chan struct{}
	err    error
}

// Start starts QEMU. The VM is killed when ctx ends.
func Start(ctx context.Context, o Options) (*VM, error) {
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", o.Args()...)
	// QEMU dies with the test, even when the test binary is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	vm := &VM{cmd: cmd, stdin: stdin, update: make(chan struct{}, 1), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("qemu: %w (is qemu-system-x86 installed?)", err)
	}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := stdout.Read(buf)
			if n > 0 {
				if o.Log != nil {
					o.Log.Write(buf[:n])
				}
				vm.mu.Lock()
				vm.out = append(vm.out, buf[:n]...)
				vm.mu.Unlock()
				select {
				case vm.update <- struct{}{}:
				default:
				}
			}
			if err != nil {
				break
			}
		}
		vm.err = cmd.Wait()
		close(vm.done)
	}()
	return vm, nil
}

// Expect waits until the console output after the previous match matches
// re, and returns the submatches. It fails after timeout or when QEMU exits.
func (vm *VM) Expect(re string, timeout time.Duration) ([]string, error) {
	rx := regexp.MustCompile(re)
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		vm.mu.Lock()
		if loc := rx.FindSubmatchIndex(vm.out[vm.pos:]); loc != nil {
			var subs []string
			for i := 0; i+1 < len(loc); i += 2 {
				if loc[i] < 0 {
					subs = append(subs, "")
					continue
				}
				subs = append(subs, string(vm.out[vm.pos+loc[i]:vm.pos+loc[i+1]]))
			}
			vm.pos += loc[1]
			vm.mu.Unlock()
			return subs, nil
		}
		vm.mu.Unlock()
		select {
		case <-vm.update:
		case <-vm.done:
			// One last look at what arrived before the exit.
			vm.mu.Lock()
			m := rx.Match(vm.out[vm.pos:])
			vm.mu.Unlock()
			if m {
				continue
			}
			return nil, fmt.Errorf("qemu exited (%v) before %q appeared", vm.err, re)
		case <-deadline.C:
			return nil, fmt.Errorf("%q did not appear within %v", re, timeout)
		}
	}
}

// Send types s on the serial console.
func (vm *VM) Send(s string) error {
	_, err := io.WriteString(vm.stdin, s)
	return err
}

// Output is everything the console printed so far, with carriage returns
// and terminal escapes removed.
func (vm *VM) Output() string {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return Clean(vm.out)
}

var escapes = regexp.MustCompile("\x1b\\[[0-9;?]*[A-Za-z]")

// Clean removes carriage returns and terminal escape sequences.
func Clean(b []byte) string {
	b = bytes.ReplaceAll(b, []byte("\r"), nil)
	return escapes.ReplaceAllString(string(b), "")
}

// Wait waits for QEMU to exit, at most timeout.
func (vm *VM) Wait(timeout time.Duration) error {
	select {
	case <-vm.done:
		return vm.err
	case <-time.After(timeout):
		return fmt.Errorf("qemu still running after %v", timeout)
	}
}

// Kill stops QEMU.
func (vm *VM) Kill() {
	if vm.cmd.Process != nil {
		vm.cmd.Process.Kill()
	}
	select {
	case <-vm.done:
	case <-time.After(5 * time.Second):
	}
}

// Tail returns the last n lines of output, for error messages.
func (vm *VM) Tail(n int) string {
	lines := strings.Split(vm.Output(), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Command demoinit is the /init of the demo and test initrds: the system
// that leapboot kexecs into. It reports which initrd it came from (the
// files /entries/NAME of every initrd it was loaded with) and the kernel
// command line, so a test can tell exactly what booted, then powers off
// when Enter is pressed (or at once with demo.poweroff on the command line).
//
// It also plays "a running system" for the fast-reboot tests: when the
// image holds /bin/leapboot and the command line has
// demo.exec=ARG,ARG,..., it mounts /sys and /dev, loads the image's
// modules and runs `leapboot ARG ARG ...`.
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/leapboot/leapboot/boot/kmod"
)

func main() {
	os.MkdirAll("/proc", 0o555)
	syscall.Mount("proc", "/proc", "proc", 0, "")
	cmdline, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		fmt.Println("DEMO: cannot read /proc/cmdline:", err)
	}
	// Each demo initrd carries /entries/<name>; with several initrds the
	// kernel unpacks them all, so every name shows.
	var names []string
	if ents, err := os.ReadDir("/entries"); err == nil {
		for _, e := range ents {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, w := range strings.Fields(string(cmdline)) {
		if v, ok := strings.CutPrefix(w, "demo.exec="); ok {
			if _, err := os.Stat("/bin/leapboot"); err == nil {
				runningSystem(strings.Split(v, ","))
			}
		}
	}
	fmt.Println()
	fmt.Println("DEMO: the system leapboot booted has started.")
	fmt.Printf("DEMO: initrds=%s\n", strings.Join(names, ","))
	fmt.Printf("DEMO: cmdline=%s\n", strings.TrimSpace(string(cmdline)))
	if strings.Contains(" "+string(cmdline)+" ", " demo.poweroff ") {
		poweroff()
	}
	fmt.Println("DEMO: press Enter to power off (or Ctrl-A then X to quit QEMU).")
	if _, err := os.Stat("/bin/sh"); err == nil {
		fmt.Println("DEMO: type 'sh' and Enter for a shell.")
	}
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	if strings.TrimSpace(line) == "sh" {
		p, err := os.StartProcess("/bin/sh", []string{"sh"}, &os.ProcAttr{Files: []*os.File{os.Stdin, os.Stdout, os.Stderr}})
		if err == nil {
			p.Wait()
		}
	}
	poweroff()
}

// runningSystem stands in for an installed system that runs leapboot.
func runningSystem(args []string) {
	syscall.Mount("sysfs", "/sys", "sysfs", 0, "")
	syscall.Mount("securityfs", "/sys/kernel/security", "securityfs", 0, "") // as systemd does
	syscall.Mount("devtmpfs", "/dev", "devtmpfs", 0, "")
	syscall.Mount("tmpfs", "/run", "tmpfs", 0, "")
	if b, err := os.ReadFile("/lib/modules/leapboot.order"); err == nil {
		for _, p := range strings.Fields(string(b)) {
			if err := kmod.Load(p, ""); err != nil {
				fmt.Println("SYSTEM:", err)
			}
		}
	}
	// Wait for the disks the modules bring.
	for i := 0; i < 100; i++ {
		if _, err := os.Stat("/sys/class/block/vda2"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Printf("SYSTEM: running leapboot %s\n", strings.Join(args, " "))
	cmd := exec.Command("/bin/leapboot", args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stdout
	err := cmd.Run()
	fmt.Printf("SYSTEM: leapboot returned: %v\n", err)
	poweroff()
}

func poweroff() {
	fmt.Println("DEMO: power off")
	syscall.Sync()
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}

// Command demoinit is the /init of the demo and test initrds: the system
// that leapboot kexecs into. It reports which initrd it came from (the
// files /entry of every initrd it was loaded with) and the kernel command
// line, so a test can tell exactly what booted, then powers off when Enter
// is pressed (or at once with demo.poweroff on the command line).
package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
	"syscall"
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

func poweroff() {
	fmt.Println("DEMO: power off")
	syscall.Sync()
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}

package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/leapboot/leapboot/config"
)

// runPasswd is `leapboot passwd`: it reads a password twice (without echo
// on a terminal, or two lines from a pipe) and prints the hash to put in
// edit.password.
func runPasswd(args []string) int {
	if len(args) > 0 {
		fmt.Fprintln(os.Stderr, "usage: leapboot passwd")
		return 2
	}
	in := bufio.NewReader(os.Stdin)
	read := func(prompt string) (string, error) {
		fd := int(os.Stdin.Fd())
		if t, err := unix.IoctlGetTermios(fd, unix.TCGETS); err == nil {
			fmt.Fprint(os.Stderr, prompt)
			saved := *t
			t.Lflag &^= unix.ECHO
			unix.IoctlSetTermios(fd, unix.TCSETS, t)
			defer func() {
				unix.IoctlSetTermios(fd, unix.TCSETS, &saved)
				fmt.Fprintln(os.Stderr)
			}()
		}
		s, err := in.ReadString('\n')
		if err != nil && s == "" {
			return "", err
		}
		return strings.TrimRight(s, "\r\n"), nil
	}
	p1, err := read("Password: ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "leapboot passwd:", err)
		return 1
	}
	p2, err := read("Again: ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "leapboot passwd:", err)
		return 1
	}
	if p1 != p2 {
		fmt.Fprintln(os.Stderr, "leapboot passwd: the passwords differ")
		return 1
	}
	if p1 == "" {
		fmt.Fprintln(os.Stderr, "leapboot passwd: empty password")
		return 1
	}
	h, err := config.HashPassword(p1)
	if err != nil {
		fmt.Fprintln(os.Stderr, "leapboot passwd:", err)
		return 1
	}
	fmt.Printf("[edit]\nallowed = true\npassword = %q\n", h)
	return 0
}

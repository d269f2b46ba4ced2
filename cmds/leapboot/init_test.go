package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/leapboot/leapboot/boot"
)

func TestParseCmdline(t *testing.T) {
	sec := func(s float64) *time.Duration { d := time.Duration(s * float64(time.Second)); return &d }
	wait := boot.WaitForever
	for _, tc := range []struct {
		in       string
		consoles []string
		settle   time.Duration
		timeout  *time.Duration
		warns    int
	}{
		{"", nil, 3 * time.Second, nil, 0},
		{"console=tty0 console=ttyS0,115200n8 console=ttyS0", []string{"/dev/tty0", "/dev/ttyS0"}, 3 * time.Second, nil, 0},
		{"leapboot.timeout=0 leapboot.settle=0.5", nil, 500 * time.Millisecond, sec(0), 0},
		{"leapboot.timeout=-1", nil, 3 * time.Second, &wait, 0},
		{"leapboot.timeout=soon leapboot.settle=-5 console=../../etc/x", nil, 3 * time.Second, nil, 2},
	} {
		ka, warns := parseCmdline(tc.in)
		if !reflect.DeepEqual(ka.consoles, tc.consoles) || ka.settle != tc.settle || len(warns) != tc.warns ||
			(ka.timeout == nil) != (tc.timeout == nil) || (ka.timeout != nil && *ka.timeout != *tc.timeout) {
			t.Errorf("parseCmdline(%q) = %+v (timeout %v), warnings %q", tc.in, ka, ka.timeout, warns)
		}
	}
}

func TestReuseCmdline(t *testing.T) {
	for in, want := range map[string]string{
		"BOOT_IMAGE=/boot/vmlinuz-6.1.0-13-amd64 root=UUID=x ro quiet\n": "root=UUID=x ro quiet",
		"console=ttyS0 panic=-1": "console=ttyS0 panic=-1",
		"":                       "",
	} {
		if got := reuseCmdline(in); got != want {
			t.Errorf("reuseCmdline(%q) = %q, want %q", in, got, want)
		}
	}
}

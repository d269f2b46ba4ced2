//go:build !tiny

package main

import (
	"os"
	"path/filepath"
)

// InitName is the slim /init build (-tags tiny: no image mode, no image
// builder) that `make build` puts next to the full leapboot.
const InitName = "leapboot-init"

// defaultInit is the binary `leapboot image` puts at /init without --init:
// the slim build next to this program when there is one, else this program.
func defaultInit() (path string, slim bool, err error) {
	self, err := os.Executable()
	if err != nil {
		return "", false, err
	}
	if p := filepath.Join(filepath.Dir(self), InitName); p != self {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, true, nil
		}
	}
	return self, false, nil
}

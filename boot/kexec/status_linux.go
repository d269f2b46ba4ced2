package kexec

import (
	"os"
	"strings"
)

// Lockdown returns the kernel's lockdown mode ("none", "integrity",
// "confidentiality"), or "" when the kernel does not say. Without
// securityfs mounted it falls back to a lockdown= kernel parameter.
func Lockdown() string {
	if b, err := os.ReadFile("/sys/kernel/security/lockdown"); err == nil {
		return ParseLockdown(string(b))
	}
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return ""
	}
	return lockdownParam(string(b))
}

// lockdownParam reads lockdown= from a kernel command line.
func lockdownParam(cmdline string) string {
	mode := ""
	for _, w := range strings.Fields(cmdline) {
		if v, ok := strings.CutPrefix(w, "lockdown="); ok && (v == "integrity" || v == "confidentiality" || v == "none") {
			mode = v
		}
	}
	return mode
}

// ParseLockdown picks the bracketed mode of /sys/kernel/security/lockdown.
func ParseLockdown(s string) string {
	for _, w := range strings.Fields(s) {
		if strings.HasPrefix(w, "[") && strings.HasSuffix(w, "]") {
			return strings.Trim(w, "[]")
		}
	}
	return ""
}

// Status is what `leapboot status` reports.
type Status struct {
	Loaded         bool   // a kexec image is staged
	Lockdown       string // "none", "integrity", "confidentiality" or ""
	SecureBoot     string // "enabled", "disabled" or "unknown"
	LoadDisabled   bool   // /proc/sys/kernel/kexec_load_disabled
	RunningCmdline string
}

// ReadStatus reads the kexec state of the running kernel.
func ReadStatus() Status {
	s := Status{Lockdown: Lockdown(), SecureBoot: "unknown"}
	if b, err := os.ReadFile("/sys/kernel/kexec_loaded"); err == nil {
		s.Loaded = strings.TrimSpace(string(b)) == "1"
	}
	if b, err := os.ReadFile("/proc/sys/kernel/kexec_load_disabled"); err == nil {
		s.LoadDisabled = strings.TrimSpace(string(b)) == "1"
	}
	if b, err := os.ReadFile("/proc/cmdline"); err == nil {
		s.RunningCmdline = strings.TrimSpace(string(b))
	}
	// SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c: 4 bytes of
	// attributes, then one byte, 1 when Secure Boot is on.
	if b, err := os.ReadFile("/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"); err == nil && len(b) >= 5 {
		s.SecureBoot = map[bool]string{true: "enabled", false: "disabled"}[b[4] == 1]
	} else if _, err := os.Stat("/sys/firmware/efi"); err != nil {
		s.SecureBoot = "disabled (not booted through UEFI)"
	}
	return s
}

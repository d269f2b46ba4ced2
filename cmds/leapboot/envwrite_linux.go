package main

import (
	"fmt"
	"strings"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/boot/disk"
	"github.com/leapboot/leapboot/boot/grub"
)

// saveEnv makes the grubenv changes GRUB makes when it boots e (clearing
// a one-shot next_entry, savedefault, recordfail), if the owner's config
// allows it (writes.grubenv); otherwise it says what was left alone. It
// runs after the kernel is loaded, before the jump. A failure is
// reported and the boot goes on, as GRUB goes on after a failed
// save_env.
func saveEnv(e *boot.Entry, allowed bool, say func(format string, args ...any)) {
	changes, err := grub.EnvChanges(e.EnvUpdates)
	if err != nil {
		say("grubenv: not written: %v", err)
		return
	}
	for _, c := range changes {
		where := c.Volume.Name() + ":" + c.Path
		if !allowed {
			say("grubenv: %s left unchanged (writes.grubenv is off)", where)
			continue
		}
		if err := disk.WriteInPlace(c.Volume, c.Path, c.Old, c.New); err != nil {
			say("grubenv: not written: %v", err)
			continue
		}
		say("grubenv: %s updated (%s)", where, origins(c.Origins))
	}
}

func origins(os []boot.Origin) string {
	var s []string
	for _, o := range os {
		s = append(s, fmt.Sprintf("%s:%d", o.Path, o.Line))
	}
	return "save_env at " + strings.Join(s, ", ")
}

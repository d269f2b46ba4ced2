//go:build tiny

package main

// slimBuild is true in the slim /init build (-tags tiny): the program an
// initramfs runs as /init, always as the boot loader (runInit). It leaves
// out the other subcommands (the image builder, image mode, list, reboot,
// ...) and what only they link; the full build has them.
const slimBuild = true

var commands = map[string]func([]string) int{}

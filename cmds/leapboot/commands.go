//go:build !tiny

package main

// slimBuild is true in the slim /init build (-tags tiny).
const slimBuild = false

// commands are the subcommands besides init, version and help. The slim
// /init build has none of them (commands_tiny.go).
var commands = map[string]func([]string) int{
	"list":       runList,
	"image":      runImage,
	"reboot":     runReboot,
	"status":     runStatus,
	"grub-check": runGrubCheck,
	"unload":     runUnload,
	"menu":       runMenu,
	"config":     runConfig,
	"passwd":     runPasswd,
}

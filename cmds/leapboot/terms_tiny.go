//go:build tiny

package main

// The slim /init build is also built with tcell_minimal, which keeps only
// tcell's base terminal types (ansi, vt100, vt102, vt220, xterm, tmux; the
// menu adds linux). screen is the one more a console may say.
import _ "github.com/gdamore/tcell/v2/terminfo/s/screen"

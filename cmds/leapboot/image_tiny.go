//go:build tiny

package main

import (
	"fmt"
	"os"
)

// runImage: the slim /init build (-tags tiny) has no image builder.
func runImage([]string) int {
	fmt.Fprintln(os.Stderr, "leapboot image: this is the slim /init build (-tags tiny), without the image builder: use the full leapboot (make build: out/leapboot)")
	return 2
}

package menu

import (
	"context"
	"io"
	"time"
)

// Run draws the model on every console and feeds it what is typed on any of
// them until it asks for an action other than a redraw: Boot, Shell or
// Rescan. The countdown ticks every tick. Run returns None when ctx ends or
// every console has closed.
func Run(ctx context.Context, m *Model, consoles []io.ReadWriter, tick time.Duration) Action {
	keys := make(chan byte, 64)
	done := make(chan struct{})
	defer close(done)
	open := len(consoles)
	closed := make(chan struct{}, len(consoles))
	for _, c := range consoles {
		go func(r io.Reader) {
			buf := make([]byte, 64)
			for {
				n, err := r.Read(buf)
				for _, b := range buf[:n] {
					select {
					case keys <- b:
					case <-done:
						return
					}
				}
				if err != nil {
					closed <- struct{}{}
					return
				}
			}
		}(c)
	}
	draw := func(s string) {
		for _, c := range consoles {
			io.WriteString(c, s)
		}
	}
	act := m.Start()
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		switch act {
		case Redraw:
			draw(m.Render())
		case Status:
			draw(m.StatusLine())
		case Boot, Shell, Rescan:
			draw("\r\n")
			return act
		}
		select {
		case <-ctx.Done():
			return None
		case b := <-keys:
			act = m.Key(b)
		case <-t.C:
			act = m.Tick(tick)
		case <-closed:
			if open--; open == 0 && !m.Counting {
				return None
			}
			act = None
		}
	}
}

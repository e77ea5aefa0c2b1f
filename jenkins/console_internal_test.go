package jenkins

import (
	"bytes"
	"io"
	"testing"
)

func TestConsoleCleanerHoldsLittle(t *testing.T) {
	t.Parallel()
	// What the cleaner keeps between writes is bounded by the longest
	// marker, whatever the input: a 100 MiB note included.
	c := NewConsoleCleaner(io.Discard)
	inputs := [][]byte{
		bytes.Repeat([]byte("line \xe2\x9c\x93 \x1b[8mha:////AAAA\x1b[0m\r\n"), 2000),
		append([]byte("\x1b[8mha:"), bytes.Repeat([]byte("A"), 32<<10)...),
	}
	for _, in := range inputs {
		for i := 0; i < 400; i++ {
			// Odd sizes, so markers and characters fall across writes.
			for _, part := range [][]byte{in[:len(in)/3+1], in[len(in)/3+1:]} {
				if _, err := c.Write(part); err != nil {
					t.Fatal(err)
				}
				if len(c.held) > maxHeld {
					t.Fatalf("holding %d bytes", len(c.held))
				}
			}
		}
	}
	if cap(c.out) > 64<<10 {
		t.Errorf("output buffer of %d bytes kept", cap(c.out))
	}
}

package check

import (
	"bytes"
	"io"
	"os"
)

// spoolMemory is how much output a spool keeps in memory before it moves to a file.
const spoolMemory = 4 << 20

// spool holds output that may not be shown yet: the check prints nothing until all of
// its input has been read (bad input anywhere means exit 2 and no verdicts), but keeps
// only verdicts, not the input, and past spoolMemory not even those in memory.
type spool struct {
	mem  []byte
	file *os.File
	size int64
	// memory overrides spoolMemory (tests).
	memory int
}

func (s *spool) Write(p []byte) (int, error) {
	limit := spoolMemory
	if s.memory > 0 {
		limit = s.memory
	}
	if s.file == nil && len(s.mem)+len(p) <= limit {
		s.mem = append(s.mem, p...)
		s.size += int64(len(p))
		return len(p), nil
	}
	if s.file == nil {
		f, err := os.CreateTemp("", "linkstate-check-")
		if err != nil {
			return 0, err
		}
		// Unlinked at once: the file goes away with the process, whatever happens.
		_ = os.Remove(f.Name())
		s.file = f
		if _, err := f.Write(s.mem); err != nil {
			return 0, err
		}
		s.mem = nil
	}
	n, err := s.file.Write(p)
	s.size += int64(n)
	return n, err
}

// Len is how many bytes the spool holds.
func (s *spool) Len() int64 { return s.size }

// copyRange writes bytes [from, to) of the spool to w.
func (s *spool) copyRange(w io.Writer, from, to int64) error {
	if s.file == nil {
		_, err := w.Write(s.mem[from:to])
		return err
	}
	_, err := io.Copy(w, io.NewSectionReader(s.file, from, to-from))
	return err
}

// reader reads the spool from its start.
func (s *spool) reader() io.Reader {
	if s.file == nil {
		return bytes.NewReader(s.mem)
	}
	return io.NewSectionReader(s.file, 0, s.size)
}

// Close lets go of the file, if any.
func (s *spool) Close() error {
	if s.file == nil {
		return nil
	}
	return s.file.Close()
}

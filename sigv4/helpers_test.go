package sigv4

import (
	"bufio"
	"errors"
	"io"
)

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

func errorsAs(err error, target **Error) bool { return errors.As(err, target) }

package sigv4

// parseAmzDate (which computes the time without time.Date) agrees with the
// time package on days of years 0000 to 9999.
import (
	"testing"
	"time"
)

func TestParseAmzDateEveryDay(t *testing.T) {
	for tm := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC); tm.Year() < 10000; tm = tm.AddDate(0, 0, 1) {
		if y := tm.Year(); (y > 2 && y < 1960 || y > 2110 && y < 9997) && tm.YearDay()%11 != 0 {
			continue // every day near the edges and around now, a sample elsewhere
		}
		s := tm.Format("20060102") + "T235958Z"
		got, ok := parseAmzDate(s)
		if !ok || !got.Equal(tm.Add(23*time.Hour+59*time.Minute+58*time.Second)) || got.Location() != time.UTC {
			t.Fatalf("%s: %v %v", s, got, ok)
		}
	}
}

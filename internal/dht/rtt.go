package dht

import "time"

// rttEstimator keeps a smoothed round trip and its variance (RFC 6298).
type rttEstimator struct {
	srtt, rttvar time.Duration
	samples      int
}

func (e *rttEstimator) add(rtt time.Duration) {
	if e.samples == 0 {
		e.srtt, e.rttvar = rtt, rtt/2
	} else {
		d := e.srtt - rtt
		if d < 0 {
			d = -d
		}
		e.rttvar = (3*e.rttvar + d) / 4
		e.srtt = (7*e.srtt + rtt) / 8
	}
	e.samples++
}

// Timeouts a lookup applies to one query. A query past its soft timeout no
// longer holds up the lookup, which moves on to other nodes; it still counts
// if its answer comes before the hard timeout, when the transaction ends.
const (
	minSoftTimeout     = 2 * time.Millisecond
	maxSoftTimeout     = 2 * time.Second
	initialSoftTimeout = 1 * time.Second
	minHardTimeout     = 1 * time.Second
	maxHardTimeout     = 5 * time.Second
)

// rto is RFC 6298's retransmission timeout: the smoothed round trip plus
// four times its deviation, within the soft bounds.
func (e *rttEstimator) rto() time.Duration {
	if e.samples == 0 {
		return initialSoftTimeout
	}
	return min(max(e.srtt+4*e.rttvar, minSoftTimeout), maxSoftTimeout)
}

// typical is a round trip most answers come within: the smoothed round
// trip plus one deviation (of every node's round trips: about the 80th
// percentile of a lognormal spread like the internet's).
func (e *rttEstimator) typical() time.Duration {
	if e.samples == 0 {
		return initialSoftTimeout
	}
	return min(max(e.srtt+e.rttvar, minSoftTimeout), maxSoftTimeout)
}

func hardTimeout(soft time.Duration) time.Duration {
	return min(max(4*soft, minHardTimeout), maxHardTimeout)
}

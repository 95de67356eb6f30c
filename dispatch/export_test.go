package dispatch

// WithdrawAll drops every open offer without excluding anyone, so a benchmark can run the
// same round again.
func (e *Engine) WithdrawAll() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, of := range e.offers {
		e.dropOffer(of, false, "benchmark reset", false)
	}
}

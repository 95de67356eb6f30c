package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// shiftEnv is a test server with the admin setup done and two couriers of the station,
// franchise and crowd, by id.
func shiftEnv(t *testing.T) (env *testEnv, merchantKey, franchise, crowd string) {
	t.Helper()
	env = newTestEnv(t)
	merchantKey = env.adminSetup(t)
	var sts struct{ Stations []struct{ ID string } }
	env.do(t, "GET", "/v1/admin/stations", env.AdminToken, nil).decode(t, &sts)
	if len(sts.Stations) != 1 {
		t.Fatalf("stations %+v", sts)
	}
	create := func(body map[string]any) string {
		r := env.do(t, "POST", "/v1/admin/couriers", env.AdminToken, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("create courier: %d %s", r.Status, r.Body)
		}
		var cc struct{ Courier struct{ ID string } }
		r.decode(t, &cc)
		return cc.Courier.ID
	}
	franchise = create(map[string]any{"name": "Léa", "kind": "franchise", "station_id": sts.Stations[0].ID, "vehicle": "bicycle"})
	crowd = create(map[string]any{"name": "Max", "kind": "crowd", "vehicle": "bicycle"})
	return env, merchantKey, franchise, crowd
}

func TestScheduleShiftValidation(t *testing.T) {
	env, _, franchise, crowd := shiftEnv(t)
	now := env.Clock.Now()
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	for _, tc := range []struct {
		name    string
		courier string
		body    any
		status  int
		code    string
		field   string
	}{
		{"ok", franchise, map[string]any{"start": at(time.Hour), "end": at(9 * time.Hour)}, http.StatusCreated, "", ""},
		{"ok with a start place", franchise, map[string]any{"start": at(0), "end": at(time.Hour), "at": geo.Offset(parisCentre, 200, 0)}, http.StatusCreated, "", ""},
		{"starting within the minute's slack", franchise, map[string]any{"start": at(-30 * time.Second), "end": at(time.Hour)}, http.StatusCreated, "", ""},
		{"exactly 16 hours", franchise, map[string]any{"start": at(time.Hour), "end": at(17 * time.Hour)}, http.StatusCreated, "", ""},
		{"no start", franchise, map[string]any{"end": at(time.Hour)}, http.StatusUnprocessableEntity, "invalid_field", "start"},
		{"no end", franchise, map[string]any{"start": at(time.Hour)}, http.StatusUnprocessableEntity, "invalid_field", "end"},
		{"end before start", franchise, map[string]any{"start": at(2 * time.Hour), "end": at(time.Hour)}, http.StatusUnprocessableEntity, "invalid_field", "end"},
		{"end equals start", franchise, map[string]any{"start": at(time.Hour), "end": at(time.Hour)}, http.StatusUnprocessableEntity, "invalid_field", "end"},
		{"over 16 hours", franchise, map[string]any{"start": at(time.Hour), "end": at(17*time.Hour + time.Second)}, http.StatusUnprocessableEntity, "invalid_field", "end"},
		{"in the past", franchise, map[string]any{"start": at(-2 * time.Minute), "end": at(time.Hour)}, http.StatusUnprocessableEntity, "invalid_field", "start"},
		{"bad place", franchise, map[string]any{"start": at(0), "end": at(time.Hour), "at": map[string]any{"lat": 91, "lng": 0}}, http.StatusUnprocessableEntity, "invalid_field", "at"},
		{"crowd courier", crowd, map[string]any{"start": at(0), "end": at(time.Hour)}, http.StatusUnprocessableEntity, "invalid_field", "courier_id"},
		{"unknown courier", "cou_nobody", map[string]any{"start": at(0), "end": at(time.Hour)}, http.StatusNotFound, "not_found", ""},
		{"not RFC 3339", franchise, `{"start":"tomorrow","end":"later"}`, http.StatusBadRequest, "malformed_request", ""},
		{"unknown field", franchise, map[string]any{"start": at(0), "end": at(time.Hour), "break": "30m"}, http.StatusBadRequest, "malformed_request", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.do(t, "POST", "/v1/admin/couriers/"+tc.courier+"/shifts", env.AdminToken, tc.body)
			if tc.status == http.StatusCreated {
				if r.Status != http.StatusCreated {
					t.Fatalf("status %d, want 201; body %s", r.Status, r.Body)
				}
				var v shiftView
				r.decode(t, &v)
				if v.CourierID != tc.courier || !v.End.After(v.Start) || v.At.Validate() != nil || v.At == (geo.LatLng{}) {
					t.Fatalf("shift %s", r.Body)
				}
				return
			}
			if p := r.problem(t, tc.status, tc.code); p.Field != tc.field {
				t.Fatalf("field %q, want %q (%s)", p.Field, tc.field, r.Body)
			}
		})
	}
}

// A courier scheduled through the API is planned with before it comes online: the
// order it would serve best is held for it.
func TestScheduledCourierIsPlannedWith(t *testing.T) {
	env, key, franchise, _ := shiftEnv(t)
	start := env.Clock.Now().Add(5 * time.Minute)
	r := env.do(t, "POST", "/v1/admin/couriers/"+franchise+"/shifts", env.AdminToken,
		map[string]any{"start": start.Format(time.RFC3339), "end": start.Add(4 * time.Hour).Format(time.RFC3339)})
	if r.Status != http.StatusCreated {
		t.Fatalf("schedule: %d %s", r.Status, r.Body)
	}
	var v shiftView
	r.decode(t, &v)
	if d := geo.FastDistance(v.At, parisCentre); d > 1 {
		t.Fatalf("default start place %v is %.0f m from the station's centre", v.At, d)
	}
	o := env.createOrder(t, key, "rota")
	env.paymentResult(t, paymentEvent("evt_rota", "payment_intent.succeeded", o.ID))
	env.Engine.Tick(t.Context())
	tr, err := env.Engine.Trace(o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Rounds) == 0 {
		t.Fatal("no round traced")
	}
	if last := tr.Rounds[len(tr.Rounds)-1]; last.Winner != franchise {
		t.Fatalf("round planned for %q (%s), want the rostered courier %s", last.Winner, last.Outcome, franchise)
	}
}

package console

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestServesThePageAndItsFiles(t *testing.T) {
	for path, contentType := range map[string]string{
		"/console/":                              "text/html; charset=utf-8",
		"/console/oauth/callback?code=c&state=s": "text/html; charset=utf-8",
		"/console/app.js":                        "text/javascript; charset=utf-8",
		"/console/api.js":                        "text/javascript; charset=utf-8",
		"/console/console.css":                   "text/css; charset=utf-8",
	} {
		rec := get(t, path)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != contentType {
			t.Errorf("%s: %d %q, want 200 %q", path, rec.Code, rec.Header().Get("Content-Type"), contentType)
		}
		if rec.Header().Get("Referrer-Policy") != "no-referrer" || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("%s: security headers %v", path, rec.Header())
		}
	}
	if body := get(t, "/console/oauth/callback").Body.String(); !strings.Contains(body, `src="/console/app.js"`) {
		t.Errorf("the callback is not the page: %.200s", body)
	}
}

func TestRedirectsAndRefuses(t *testing.T) {
	rec := get(t, "/console?x=1")
	if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/console/?x=1" {
		t.Errorf("/console: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	for _, path := range []string{"/console/console.go", "/console/missing.js", "/console/oauth/other"} {
		if rec := get(t, path); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, rec.Code)
		}
	}
}

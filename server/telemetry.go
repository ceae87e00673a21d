package server

import (
	"context"
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// StartTracing exports traces over OTLP/HTTP when the standard OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set and OTEL_SDK_DISABLED is not "true": it installs
// the global tracer provider and the W3C trace-context propagator, and the exporter reads the
// other OTEL_EXPORTER_OTLP_* settings itself (headers, timeout, compression). Otherwise it does
// nothing and every span is a no-op. shutdown flushes the spans still buffered.
func StartTracing(ctx context.Context, getenv func(string) string) (enabled bool, shutdown func(context.Context) error, err error) {
	noop := func(context.Context) error { return nil }
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") ||
		(getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "") {
		return false, noop, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return false, noop, err
	}
	// service.name defaults to licensing-api; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
	res, err := resource.New(ctx, resource.WithAttributes(attribute.String("service.name", "licensing-api")),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return false, noop, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return true, tp.Shutdown, nil
}

// traceHTTP makes a server span of every request but the probes and /metrics, named by the
// method and a known path (never a client's arbitrary path).
func traceHTTP(next http.Handler) http.Handler {
	return otelhttp.NewHandler(next, "http",
		otelhttp.WithFilter(func(r *http.Request) bool {
			switch r.URL.Path {
			case "/healthz", "/readyz", "/metrics":
				return false
			}
			return true
		}),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			switch p := r.URL.Path; p {
			case "/graphql", "/", "/activate":
				return r.Method + " " + p
			}
			return r.Method
		}))
}

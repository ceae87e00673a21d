package models

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"
)

// SQL spans (Config.TraceSQL): one per statement, under the span of the request that runs it,
// and one per InTx transaction with its attempts. A span names the operation and the table,
// never the statement text or its values: some of those are secrets (key hashes, tokens).

const tracerName = "github.com/licensing-api/licensing-api/models"

const spanKey = "licensing:span"

// traceSQL registers GORM callbacks that open a span before each statement and end it after.
func traceSQL(db *gorm.DB) error {
	system := "mysql"
	if db.Dialector.Name() == "sqlite" {
		system = "sqlite"
	}
	tracer := otel.Tracer(tracerName)
	start := func(op string) func(*gorm.DB) {
		return func(tx *gorm.DB) {
			ctx, span := tracer.Start(tx.Statement.Context, "sql "+op, trace.WithSpanKind(trace.SpanKindClient),
				trace.WithAttributes(attribute.String("db.system.name", system), attribute.String("db.operation.name", op)))
			tx.Statement.Context = ctx
			tx.Statement.Settings.Store(spanKey, span)
		}
	}
	end := func(tx *gorm.DB) {
		v, ok := tx.Statement.Settings.LoadAndDelete(spanKey)
		if !ok {
			return
		}
		span := v.(trace.Span)
		if tx.Statement.Table != "" {
			span.SetAttributes(attribute.String("db.collection.name", tx.Statement.Table))
		}
		span.SetAttributes(attribute.Int64("db.response.affected_rows", tx.Statement.RowsAffected))
		if err := tx.Error; err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			span.RecordError(err)
			span.SetStatus(codes.Error, "statement failed")
		}
		span.End()
	}
	cb := db.Callback()
	for _, err := range []error{
		cb.Create().Before("*").Register("licensing:span_start", start("insert")), cb.Create().After("*").Register("licensing:span_end", end),
		cb.Query().Before("*").Register("licensing:span_start", start("select")), cb.Query().After("*").Register("licensing:span_end", end),
		cb.Update().Before("*").Register("licensing:span_start", start("update")), cb.Update().After("*").Register("licensing:span_end", end),
		cb.Delete().Before("*").Register("licensing:span_start", start("delete")), cb.Delete().After("*").Register("licensing:span_end", end),
		cb.Row().Before("*").Register("licensing:span_start", start("row")), cb.Row().After("*").Register("licensing:span_end", end),
		cb.Raw().Before("*").Register("licensing:span_start", start("raw")), cb.Raw().After("*").Register("licensing:span_end", end),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// traceTx opens the span of one InTx transaction (nil without TraceSQL); the returned function ends it with the
// number of attempts and the outcome. Without TraceSQL it does nothing.
func (s *Store) traceTx(ctx context.Context) (context.Context, trace.Span, func(attempts int, err error)) {
	if !s.tracing {
		return ctx, nil, func(int, error) {}
	}
	ctx, span := otel.Tracer(tracerName).Start(ctx, "sql transaction", trace.WithSpanKind(trace.SpanKindInternal))
	return ctx, span, func(attempts int, err error) {
		span.SetAttributes(attribute.Int("licensing.tx.attempts", attempts))
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "transaction failed")
		}
		span.End()
	}
}

// The Go side of Omnix's typed exchange, compiled into every Go node's binary.
//
// A node's code is the body of `func run(in Inputs) (any, error)`; its upstream outputs are
// bound to variables named after their node ids (tables as Table, other values as any)
// and `params` holds the run's parameters. The binary reads one request on stdin, runs the
// node once and writes one reply line on the descriptor in OMNIX_REPLY_FD. stdout and
// stderr are the node's log. docs/languages.md gives the value rules.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"regexp"
	"runtime/debug"
	"sort"
	"strconv"
	"time"
	_ "time/tzdata"
)

// Row is one row of a table: column name -> value (int64, float64, bool, string,
// time.Time, or nil for null).
type Row = map[string]any

// Table is a table as rows; the natural form of a table in a Go node.
type Table = []map[string]any

// Inputs carries the node's upstream outputs and the run's parameters.
type Inputs struct {
	Params  map[string]any
	Node    string
	tables  map[string]Table
	values  map[string]any
	columns []string
}

// Table returns the upstream table named `name` (nil if there is none).
func (in Inputs) Table(name string) Table { return in.tables[name] }

// Value returns the upstream JSON value named `name`.
func (in Inputs) Value(name string) any { return in.values[name] }

type exchangeColumn struct {
	Name   string  `json:"name"`
	Type   string  `json:"type"`
	Unit   string  `json:"unit"`
	Tz     *string `json:"tz"`
	Values []any   `json:"values"`
}

type exchangeInput struct {
	Name    string           `json:"name"`
	Kind    string           `json:"kind"`
	Nrows   int              `json:"nrows"`
	Columns []exchangeColumn `json:"columns"`
	Value   any              `json:"value"`
}

type request struct {
	Node   string          `json:"node"`
	Params map[string]any  `json:"params"`
	Inputs []exchangeInput `json:"inputs"`
}

// plain turns json.Numbers into int64 (integers) or float64, all the way down.
func plain(value any) any {
	switch v := value.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return i
		}
		f, _ := strconv.ParseFloat(string(v), 64)
		return f
	case map[string]any:
		for key, item := range v {
			v[key] = plain(item)
		}
		return v
	case []any:
		for i, item := range v {
			v[i] = plain(item)
		}
		return v
	}
	return value
}

func decodeValue(column exchangeColumn, raw any) (any, error) {
	if raw == nil {
		return nil, nil
	}
	text := fmt.Sprint(raw)
	switch column.Type {
	case "int64":
		return strconv.ParseInt(text, 10, 64)
	case "float64":
		return strconv.ParseFloat(text, 64) // also "NaN", "Infinity", "-Infinity"
	case "bool", "string":
		return raw, nil
	case "date":
		days, err := strconv.ParseInt(text, 10, 64)
		return time.Unix(days*86400, 0).UTC(), err
	case "timestamp":
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, err
		}
		var t time.Time
		switch column.Unit {
		case "s":
			t = time.Unix(n, 0)
		case "ms":
			t = time.UnixMilli(n)
		case "us":
			t = time.UnixMicro(n)
		default:
			t = time.Unix(0, n)
		}
		if column.Tz != nil && *column.Tz != "" {
			location, err := time.LoadLocation(*column.Tz)
			if err != nil {
				return nil, err
			}
			return t.In(location), nil
		}
		return t.UTC(), nil
	}
	return nil, fmt.Errorf("unknown exchange type %q", column.Type)
}

func decodeTable(input exchangeInput) (Table, []string, error) {
	rows := make(Table, input.Nrows)
	for i := range rows {
		rows[i] = make(Row, len(input.Columns))
	}
	names := make([]string, 0, len(input.Columns))
	for _, column := range input.Columns {
		names = append(names, column.Name)
		for i, raw := range column.Values {
			value, err := decodeValue(column, raw)
			if err != nil {
				return nil, nil, fmt.Errorf("table %s, column %q, row %d: %v", input.Name, column.Name, i, err)
			}
			rows[i][column.Name] = value
		}
	}
	return rows, names, nil
}

// kindOf names a value's exchange type ("" for null).
func kindOf(value any) (string, error) {
	switch v := value.(type) {
	case nil:
		return "", nil
	case int, int8, int16, int32, int64, uint8, uint16, uint32:
		return "int64", nil
	case uint:
		if uint64(v) > math.MaxInt64 {
			return "", fmt.Errorf("%d is beyond int64's range", v)
		}
		return "int64", nil
	case uint64:
		if v > math.MaxInt64 {
			return "", fmt.Errorf("%d is beyond int64's range", v)
		}
		return "int64", nil
	case float32, float64:
		return "float64", nil
	case bool:
		return "bool", nil
	case string:
		return "string", nil
	case time.Time:
		return "timestamp", nil
	}
	return "", fmt.Errorf("a %T cannot be a table value (use int64, float64, bool, string, time.Time or nil)", value)
}

func appendString(buf *bytes.Buffer, text string) {
	encoded, _ := json.Marshal(text)
	buf.Write(encoded)
}

func appendValue(buf *bytes.Buffer, kind string, value any) error {
	if value == nil {
		buf.WriteString("null")
		return nil
	}
	switch kind {
	case "int64":
		// Any Go integer; kindOf has already refused unsigned values beyond int64.
		number := reflect.ValueOf(value)
		var n int64
		if number.CanInt() {
			n = number.Int()
		} else {
			n = int64(number.Uint())
		}
		buf.WriteByte('"')
		buf.WriteString(strconv.FormatInt(n, 10))
		buf.WriteByte('"')
	case "float64":
		var f float64
		if v, ok := value.(float32); ok {
			f = float64(v)
		} else {
			f = value.(float64)
		}
		switch {
		case math.IsNaN(f):
			buf.WriteString(`"NaN"`)
		case math.IsInf(f, 1):
			buf.WriteString(`"Infinity"`)
		case math.IsInf(f, -1):
			buf.WriteString(`"-Infinity"`)
		default:
			buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		}
	case "bool":
		buf.WriteString(strconv.FormatBool(value.(bool)))
	case "string":
		appendString(buf, value.(string))
	case "timestamp-us", "timestamp-ns":
		t := value.(time.Time)
		seconds, nanos := t.Unix(), int64(t.Nanosecond())
		per, ticks := int64(1_000_000), nanos/1000
		if kind == "timestamp-ns" {
			per, ticks = 1_000_000_000, nanos
		}
		if seconds > math.MaxInt64/per-1 || seconds < math.MinInt64/per+1 {
			return fmt.Errorf("%s is outside the range of a 64-bit timestamp", t)
		}
		buf.WriteByte('"')
		buf.WriteString(strconv.FormatInt(seconds*per+ticks, 10))
		buf.WriteByte('"')
	}
	return nil
}

func encodeTable(rows Table, upstream []string) ([]byte, error) {
	seen := map[string]bool{}
	for _, row := range rows {
		for name := range row {
			seen[name] = true
		}
	}
	names := make([]string, 0, len(seen))
	for _, name := range upstream {
		if seen[name] {
			names = append(names, name)
			delete(seen, name)
		}
	}
	rest := make([]string, 0, len(seen))
	for name := range seen {
		rest = append(rest, name)
	}
	sort.Strings(rest)
	names = append(names, rest...)

	var buf bytes.Buffer
	buf.WriteString(`{"ok":true,"kind":"table","nrows":`)
	buf.WriteString(strconv.Itoa(len(rows)))
	buf.WriteString(`,"columns":[`)
	for c, name := range names {
		kind, firstRow := "", -1
		zone := ""
		for i, row := range rows {
			k, err := kindOf(row[name])
			if err != nil {
				return nil, fmt.Errorf("column %q, row %d: %v", name, i, err)
			}
			if k == "" {
				continue
			}
			if kind == "" {
				kind, firstRow = k, i
				if t, ok := row[name].(time.Time); ok {
					zone = t.Location().String()
				}
			} else if k != kind {
				return nil, fmt.Errorf("column %q mixes %s (row %d) and %s (row %d); convert the values to one type", name, kind, firstRow, k, i)
			}
		}
		if kind == "" {
			kind = "null"
		}
		if c > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"name":`)
		appendString(&buf, name)
		buf.WriteString(`,"type":"` + kind + `"`)
		if kind == "timestamp" {
			if zone == "Local" {
				zone = "UTC"
			}
			// Microseconds (a range of ±290,000 years) unless a value has finer digits.
			unit := "us"
			for _, row := range rows {
				if t, ok := row[name].(time.Time); ok && t.Nanosecond()%1000 != 0 {
					unit = "ns"
					break
				}
			}
			buf.WriteString(`,"unit":"` + unit + `","tz":`)
			appendString(&buf, zone)
			kind = "timestamp-" + unit
		}
		buf.WriteString(`,"values":[`)
		for i, row := range rows {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := appendValue(&buf, kind, row[name]); err != nil {
				return nil, fmt.Errorf("column %q, row %d: %v", name, i, err)
			}
		}
		buf.WriteString("]}")
	}
	buf.WriteString("]}")
	return buf.Bytes(), nil
}

func failure(message, traceback string) []byte {
	reply, _ := json.Marshal(map[string]any{"ok": false, "message": message, "traceback": traceback})
	return reply
}

// asTable recognises a table among the values a node may return.
func asTable(value any) (Table, bool) {
	switch v := value.(type) {
	case Table:
		return v, len(v) > 0
	}
	return nil, false
}

func execute(req request) (reply []byte) {
	in := Inputs{Params: req.Params, Node: req.Node, tables: map[string]Table{}, values: map[string]any{}}
	if in.Params == nil {
		in.Params = map[string]any{}
	}
	plain(in.Params)
	for _, input := range req.Inputs {
		if input.Kind == "table" {
			rows, names, err := decodeTable(input)
			if err != nil {
				return failure("ExchangeError: "+err.Error(), "")
			}
			in.tables[input.Name] = rows
			in.columns = append(in.columns, names...)
		} else {
			in.values[input.Name] = plain(input.Value)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			stack := string(debug.Stack())
			where := ""
			if m := regexp.MustCompile(`\s` + regexp.QuoteMeta(req.Node) + `\.go:(\d+)`).FindStringSubmatch(stack); m != nil {
				where = " (line " + m[1] + ")"
			}
			reply = failure(fmt.Sprintf("panic: %v%s", r, where), stack)
		}
	}()
	result, err := run(in)
	if err != nil {
		return failure(err.Error(), "")
	}
	if rows, ok := asTable(result); ok {
		encoded, err := encodeTable(rows, in.columns)
		if err != nil {
			return failure("ExchangeError: the output: "+err.Error(), "")
		}
		return encoded
	}
	value, err := json.Marshal(result)
	if err != nil {
		var unsupported *json.UnsupportedValueError
		if errors.As(err, &unsupported) {
			return failure("the output is not JSON: "+unsupported.Str+" (NaN and Infinity have no JSON form; return a table or replace them)", "")
		}
		return failure("the output is not JSON: "+err.Error(), "")
	}
	return append(append([]byte(`{"ok":true,"kind":"json","value":`), value...), '}')
}

func main() {
	fd, err := strconv.Atoi(os.Getenv("OMNIX_REPLY_FD"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "omnix: OMNIX_REPLY_FD is not set; this binary is run by the Omnix agent")
		os.Exit(2)
	}
	replies := os.NewFile(uintptr(fd), "omnix-reply")
	os.Unsetenv("OMNIX_REPLY_FD")
	data, err := io.ReadAll(os.Stdin)
	var reply []byte
	if err == nil {
		decoder := json.NewDecoder(bytes.NewReader(data))
		decoder.UseNumber()
		var req request
		if err = decoder.Decode(&req); err == nil {
			reply = execute(req)
		}
	}
	if err != nil {
		reply = failure("omnix: cannot read the request: "+err.Error(), "")
	}
	os.Stdout.Sync()
	replies.Write(append(reply, '\n'))
	replies.Close()
}

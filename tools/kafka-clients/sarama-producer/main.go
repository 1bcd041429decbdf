// sarama-producer: produce the known record set (see ../records.py) with
// Shopify/sarama (Debian's golang-github-shopify-sarama-dev, 1.22.1) and
// write a JSON-lines manifest of what the client reported acknowledged.
//
// Build (offline, GOPATH mode; ../setup does this):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o sarama-producer .
//
// Usage:
//
//	sarama-producer -bootstrap H:P -topic T -run R -manifest FILE
//	                [-codec none|gzip|snappy|lz4|zstd] [-acks 0|1|all]
//	                [-idempotent] [-count N] [-timeout SECONDS] [-version 2.1.0]
//
// The protocol version defaults to 2.1.0, the first that allows zstd and the
// newest this sarama knows; RecordBatch v2 (and headers) need 0.11 or later.
// Idempotence sets Net.MaxOpenRequests = 1 as sarama requires. Every record
// gets a manifest line from its success or error: none is dropped. At acks=0
// sarama reports success with offset 0 (no broker answer): written without one.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/Shopify/sarama"
)

var sizes = map[int]int{2: 40, 3: 200, 4: 1500, 5: 4096}

const baseTS = int64(1700000000000)

type header struct {
	Key   string
	Value []byte
}

type rec struct {
	ID        string
	Key       []byte
	Value     []byte
	Headers   []header
	Timestamp *int64
}

// record mirrors records.py: keep the two in step.
func record(run string, i int) rec {
	id := fmt.Sprintf("%s-sarama-%06d", run, i)
	r := rec{ID: id}
	switch i % 4 {
	case 0:
	case 1:
		r.Key = []byte{}
	default:
		r.Key = []byte(fmt.Sprintf("key-%d", i%7))
	}
	switch i % 6 {
	case 0:
	case 1:
		r.Value = []byte{}
	default:
		v := []byte(id + "|")
		for len(v) < sizes[i%6] {
			v = append(v, byte((len(v)-len(id)-1)%256))
		}
		r.Value = v[:sizes[i%6]]
	}
	r.Headers = []header{{"sw-id", []byte(id)}}
	switch i % 3 {
	case 1:
		r.Headers = append(r.Headers, header{"h", []byte("1")}, header{"h", []byte("2")})
	case 2:
		r.Headers = append(r.Headers, header{"empty", []byte{}}, header{"null", nil}, header{"bin", []byte{0, 255, 10}})
	}
	if i%5 != 4 {
		ts := baseTS + int64(i)*1000
		r.Timestamp = &ts
	}
	return r
}

type line struct {
	Client        string           `json:"client"`
	ClientVersion string           `json:"client_version"`
	Topic         string           `json:"topic"`
	Codec         string           `json:"codec"`
	Acks          string           `json:"acks"`
	Idempotent    bool             `json:"idempotent"`
	Run           string           `json:"run"`
	ID            string           `json:"id"`
	Key           []byte           `json:"key"`
	Value         []byte           `json:"value"`
	Headers       [][2]interface{} `json:"headers"`
	Timestamp     *int64           `json:"timestamp"`
	Acked         bool             `json:"acked"`
	Error         *string          `json:"error"`
	Partition     *int32           `json:"partition"`
	Offset        *int64           `json:"offset"`
}

func encoder(b []byte) sarama.Encoder {
	if b == nil {
		return nil
	}
	return sarama.ByteEncoder(b)
}

func main() {
	bootstrap := flag.String("bootstrap", "", "HOST:PORT producers connect to")
	topic := flag.String("topic", "", "topic")
	codec := flag.String("codec", "none", "none|gzip|snappy|lz4|zstd")
	acks := flag.String("acks", "all", "0|1|all")
	idempotent := flag.Bool("idempotent", false, "idempotent producer (acks=all)")
	count := flag.Int("count", 24, "records")
	run := flag.String("run", "", "run id")
	manifestPath := flag.String("manifest", "", "JSON-lines manifest to write")
	timeout := flag.Float64("timeout", 30, "seconds to wait for acknowledgements")
	version := flag.String("version", "2.1.0", "Kafka protocol version sarama assumes")
	flag.Parse()
	if *bootstrap == "" || *topic == "" || *run == "" || *manifestPath == "" {
		log.Fatal("sarama-producer: -bootstrap, -topic, -run and -manifest are required")
	}
	cfg := sarama.NewConfig()
	v, err := sarama.ParseKafkaVersion(*version)
	if err != nil {
		log.Fatalf("sarama-producer: %v", err)
	}
	cfg.Version = v
	cfg.ClientID = "spillway-sarama"
	cfg.Producer.Return.Successes = true
	cfg.Producer.Return.Errors = true
	cfg.Producer.Timeout = time.Duration(*timeout * float64(time.Second))
	cfg.Producer.Flush.Frequency = 5 * time.Millisecond
	cfg.Producer.Partitioner = sarama.NewHashPartitioner
	cfg.Producer.Compression = map[string]sarama.CompressionCodec{"none": sarama.CompressionNone,
		"gzip": sarama.CompressionGZIP, "snappy": sarama.CompressionSnappy, "lz4": sarama.CompressionLZ4,
		"zstd": sarama.CompressionZSTD}[*codec]
	cfg.Producer.RequiredAcks = map[string]sarama.RequiredAcks{"0": sarama.NoResponse, "1": sarama.WaitForLocal,
		"all": sarama.WaitForAll}[*acks]
	if *idempotent {
		cfg.Producer.Idempotent = true
		cfg.Net.MaxOpenRequests = 1
	}
	f, err := os.Create(*manifestPath)
	if err != nil {
		log.Fatalf("sarama-producer: %v", err)
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	write := func(r rec, acked bool, e error, part *int32, off *int64) {
		l := line{Client: "sarama", ClientVersion: "1.22.1", Topic: *topic, Codec: *codec, Acks: *acks,
			Idempotent: *idempotent, Run: *run, ID: r.ID, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp,
			Acked: acked, Partition: part, Offset: off}
		for _, h := range r.Headers {
			l.Headers = append(l.Headers, [2]interface{}{h.Key, h.Value})
		}
		if e != nil {
			s := e.Error()
			l.Error = &s
		}
		if err := enc.Encode(l); err != nil {
			log.Fatalf("sarama-producer: manifest: %v", err)
		}
	}
	recs := make([]rec, *count)
	for i := range recs {
		recs[i] = record(*run, i)
	}
	producer, err := sarama.NewAsyncProducer([]string{*bootstrap}, cfg)
	if err != nil {
		for _, r := range recs {
			write(r, false, fmt.Errorf("producer did not start: %v", err), nil, nil)
		}
		log.Fatalf("sarama-producer: cannot start: %v", err)
	}
	done := make(map[int]bool)
	go func() {
		for i, r := range recs {
			m := &sarama.ProducerMessage{Topic: *topic, Key: encoder(r.Key), Value: encoder(r.Value), Metadata: i}
			for _, h := range r.Headers {
				m.Headers = append(m.Headers, sarama.RecordHeader{Key: []byte(h.Key), Value: h.Value})
			}
			if r.Timestamp != nil {
				m.Timestamp = time.Unix(0, *r.Timestamp*int64(time.Millisecond))
			}
			producer.Input() <- m
		}
	}()
	deadline := time.After(time.Duration(*timeout*float64(time.Second)) + 5*time.Second)
	for len(done) < len(recs) {
		select {
		case m := <-producer.Successes():
			i := m.Metadata.(int)
			p, o := m.Partition, m.Offset
			done[i] = true
			if *acks == "0" { // sarama reports offset 0 without any broker answer
				write(recs[i], true, nil, &p, nil)
			} else {
				write(recs[i], true, nil, &p, &o)
			}
		case e := <-producer.Errors():
			i := e.Msg.Metadata.(int)
			p := e.Msg.Partition
			done[i] = true
			write(recs[i], false, e.Err, &p, nil)
		case <-deadline:
			for i, r := range recs {
				if !done[i] {
					write(r, false, fmt.Errorf("no report before the deadline"), nil, nil)
				}
			}
			log.Printf("sarama-producer: %d records without report", len(recs)-len(done))
			os.Exit(0)
		}
	}
	producer.Close()
}

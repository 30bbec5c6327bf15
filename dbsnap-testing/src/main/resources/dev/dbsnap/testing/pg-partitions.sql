-- Declarative partitioning: range by date with a DEFAULT partition, list with a partition that is
-- hash-partitioned again, plain hash; indexes and keys on the parents, a partition's own index,
-- column options of a partition, and foreign keys owned by and pointing to partitioned tables.
CREATE SCHEMA sales;

CREATE TABLE public.customer (id integer PRIMARY KEY, name text NOT NULL);
INSERT INTO public.customer SELECT i, 'customer ' || i FROM generate_series(1, 50) i;

CREATE TABLE sales.orders (
  id bigserial,
  placed date NOT NULL,
  customer_id integer REFERENCES public.customer (id),
  amount numeric(12,2) CONSTRAINT amount_not_negative CHECK (amount >= 0),
  note text DEFAULT 'none',
  PRIMARY KEY (id, placed)
) PARTITION BY RANGE (placed);
CREATE TABLE sales.orders_2023 PARTITION OF sales.orders
  FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE sales.orders_2024 PARTITION OF sales.orders
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE sales.orders_2025 PARTITION OF sales.orders (note WITH OPTIONS DEFAULT 'recent' NOT NULL)
  FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE sales.orders_other PARTITION OF sales.orders DEFAULT;
CREATE INDEX orders_customer_idx ON sales.orders (customer_id);
CREATE UNIQUE INDEX orders_note_placed_key ON sales.orders (note, placed, id);
CREATE INDEX orders_2024_amount_idx ON sales.orders_2024 (amount DESC);
INSERT INTO sales.orders (placed, customer_id, amount, note)
  SELECT DATE '2022-07-01' + (i % 1400), 1 + i % 50, (i * 37 % 100000) / 100.0,
    CASE WHEN i % 3 = 0 THEN 'gift ' || i || repeat(' é中', i % 4) ELSE 'n' || i END
  FROM generate_series(1, 12000) i;

CREATE TABLE public.region_stock (
  region text NOT NULL,
  sku integer NOT NULL,
  qty integer,
  CONSTRAINT region_stock_pkey PRIMARY KEY (region, sku)
) PARTITION BY LIST (region);
CREATE TABLE public.region_stock_eu PARTITION OF public.region_stock
  FOR VALUES IN ('de', 'fr') PARTITION BY HASH (sku);
CREATE TABLE public.region_stock_eu_0 PARTITION OF public.region_stock_eu
  FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE public.region_stock_eu_1 PARTITION OF public.region_stock_eu
  FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TABLE public.region_stock_us PARTITION OF public.region_stock FOR VALUES IN ('us');
CREATE INDEX region_stock_qty_idx ON public.region_stock (qty);
INSERT INTO public.region_stock
  SELECT r, s, (s * 7) % 13 FROM unnest(ARRAY['de', 'fr', 'us']) r, generate_series(1, 400) s;

CREATE TABLE public.stock_moves (
  id serial PRIMARY KEY,
  region text NOT NULL,
  sku integer NOT NULL,
  delta integer NOT NULL,
  CONSTRAINT stock_moves_stock_fk FOREIGN KEY (region, sku) REFERENCES public.region_stock (region, sku)
);
INSERT INTO public.stock_moves (region, sku, delta)
  SELECT (ARRAY['de', 'fr', 'us'])[1 + i % 3], 1 + i % 400, i % 9 - 4 FROM generate_series(1, 900) i;

CREATE TABLE public.events (
  id integer NOT NULL,
  payload text,
  CONSTRAINT events_id_key UNIQUE (id)
) PARTITION BY HASH (id);
CREATE TABLE public.events_0 PARTITION OF public.events FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE public.events_1 PARTITION OF public.events FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE public.events_2 PARTITION OF public.events FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE public.events_3 PARTITION OF public.events FOR VALUES WITH (MODULUS 4, REMAINDER 3);
ALTER TABLE public.events_0 ADD CONSTRAINT events_0_payload_not_empty CHECK (payload <> '');
INSERT INTO public.events SELECT i, md5(i::text) FROM generate_series(1, 2000) i;

ANALYZE;

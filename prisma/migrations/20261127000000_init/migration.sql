-- CreateEnum
CREATE TYPE "component_type" AS ENUM ('energy_supply', 'battery_optimization', 'heatpump_optimization');

-- CreateEnum
CREATE TYPE "outcome_status" AS ENUM ('accepted', 'rejected', 'error');

-- CreateTable
CREATE TABLE "contracts" (
    "id" BIGSERIAL NOT NULL,
    "contract_number" VARCHAR(64) NOT NULL,
    "components" "component_type"[],
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "contracts_pkey" PRIMARY KEY ("id"),
    -- Not modelled by Prisma: a contract has at least one component.
    CONSTRAINT "contracts_components_not_empty" CHECK (cardinality("components") > 0)
);

-- CreateTable
CREATE TABLE "component_states" (
    "id" BIGSERIAL NOT NULL,
    "contract_id" BIGINT NOT NULL,
    "component_type" "component_type" NOT NULL,
    "start_date" DATE,
    "start_event_created_at" TIMESTAMPTZ(6),
    "end_date" DATE,
    "end_event_created_at" TIMESTAMPTZ(6),
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "component_states_pkey" PRIMARY KEY ("id"),
    -- Not modelled by Prisma: the domain invariants, enforced once more here.
    CONSTRAINT "component_states_end_needs_start" CHECK ("end_date" IS NULL OR "start_date" IS NOT NULL),
    CONSTRAINT "component_states_start_before_end" CHECK ("end_date" IS NULL OR "start_date" <= "end_date")
);

-- CreateTable
CREATE TABLE "processed_events" (
    "event_id" VARCHAR(128) NOT NULL,
    "status" "outcome_status" NOT NULL,
    "code" VARCHAR(64) NOT NULL,
    "message" TEXT NOT NULL,
    "processed_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_events_pkey" PRIMARY KEY ("event_id")
);

-- CreateTable
CREATE TABLE "event_audit" (
    "id" BIGSERIAL NOT NULL,
    "event_id" VARCHAR(128) NOT NULL,
    "contract_id" BIGINT,
    "contract_number" TEXT,
    "event_type" TEXT,
    "component_type" "component_type",
    "action" VARCHAR(8),
    "event_date" DATE,
    "event_created_at" TIMESTAMPTZ(6),
    "status" "outcome_status" NOT NULL,
    "code" VARCHAR(64) NOT NULL,
    "message" TEXT NOT NULL,
    "error" JSONB,
    "kafka_topic" TEXT,
    "kafka_partition" INTEGER,
    "kafka_offset" BIGINT,
    "processed_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "event_audit_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "contracts_contract_number_key" ON "contracts"("contract_number");

-- CreateIndex
CREATE UNIQUE INDEX "component_states_contract_id_component_type_key" ON "component_states"("contract_id", "component_type");

-- CreateIndex
CREATE UNIQUE INDEX "event_audit_event_id_key" ON "event_audit"("event_id");

-- CreateIndex
CREATE INDEX "event_audit_contract_id_event_created_at_idx" ON "event_audit"("contract_id", "event_created_at");

-- AddForeignKey
ALTER TABLE "component_states" ADD CONSTRAINT "component_states_contract_id_fkey" FOREIGN KEY ("contract_id") REFERENCES "contracts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "event_audit" ADD CONSTRAINT "event_audit_contract_id_fkey" FOREIGN KEY ("contract_id") REFERENCES "contracts"("id") ON DELETE SET NULL ON UPDATE CASCADE;

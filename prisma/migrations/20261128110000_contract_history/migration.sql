-- Deleting a contract keeps its row, so its audited events stay attached to it,
-- and records when and by which credential it was deleted. Each row is one
-- incarnation of a contract number; creating the number again adds a new row.
ALTER TABLE "contracts" ADD COLUMN "deleted_at" TIMESTAMPTZ(6),
ADD COLUMN "deleted_by" TEXT,
-- Not modelled by Prisma: a deletion always says who made it.
ADD CONSTRAINT "contracts_deletion_recorded" CHECK (("deleted_at" IS NULL) = ("deleted_by" IS NULL));

-- Not modelled by Prisma (a partial index): one live contract per number,
-- any number of deleted ones.
DROP INDEX "contracts_contract_number_key";
CREATE UNIQUE INDEX "contracts_contract_number_key" ON "contracts"("contract_number") WHERE "deleted_at" IS NULL;

-- CreateIndex
-- Every incarnation of a number, live or deleted, for its history.
CREATE INDEX "contracts_contract_number_idx" ON "contracts"("contract_number");

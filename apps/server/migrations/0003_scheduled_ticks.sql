-- One row per maintenance tick and time slot: every worker process runs a scheduler, and the
-- one whose INSERT wins publishes the tick. (RabbitMQ cannot deduplicate by message id.)
CREATE TABLE scheduled_ticks (
  topic text NOT NULL,
  slot timestamptz NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, slot)
);

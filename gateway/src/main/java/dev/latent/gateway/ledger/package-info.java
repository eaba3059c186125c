/** The ledger's storage: R2DBC with Flyway migrations; H2 file embedded, PostgreSQL in production. */
@NullMarked
package dev.latent.gateway.ledger;

import org.jspecify.annotations.NullMarked;

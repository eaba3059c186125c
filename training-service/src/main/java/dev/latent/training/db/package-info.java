/** The service's database: embedded H2 defaults (PostgreSQL when configured). */
@NullMarked
package dev.latent.training.db;

import org.jspecify.annotations.NullMarked;

package dev.latent.gateway.pricing;

import java.math.BigDecimal;

/** What a request costs, with the price and multiplier it was computed from (both kept in the ledger). */
public record Charge(ModelPrice price, BigDecimal multiplier, BigDecimal cost) {}

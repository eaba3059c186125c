package dev.latent.gateway.keys;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.latent.support.problem.ProblemException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;

/**
 * A key's spending limit per period (periods start at UTC midnight / the 1st of the month).
 *
 * @param amount money the key may spend per period
 * @param currency ISO code, e.g. {@code USD}
 * @param period {@code day}, {@code month} or {@code total}
 */
public record Budget(BigDecimal amount, String currency, Period period) {

  public Budget {
    if (amount == null || amount.signum() < 0) {
      throw ProblemException.invalidParameter("budget.amount", "budget.amount must be a number >= 0");
    }
    if (currency == null || !currency.matches("[A-Za-z]{3}")) {
      throw ProblemException.invalidParameter("budget.currency", "budget.currency must be a 3-letter code");
    }
    currency = currency.toUpperCase(Locale.ROOT);
    if (period == null) {
      throw ProblemException.invalidParameter("budget.period", "budget.period must be day, month or total");
    }
  }

  public enum Period {
    DAY, MONTH, TOTAL;

    /** The start of the period {@code now} falls in. */
    public Instant start(Instant now) {
      LocalDate day = LocalDate.ofInstant(now, ZoneOffset.UTC);
      return switch (this) {
        case DAY -> day.atStartOfDay(ZoneOffset.UTC).toInstant();
        case MONTH -> day.withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        case TOTAL -> Instant.EPOCH;
      };
    }

    @JsonValue
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Period parse(String value) {
      for (Period p : values()) {
        if (p.wire().equals(value)) {
          return p;
        }
      }
      throw ProblemException.invalidParameter("budget.period", "budget.period must be day, month or total");
    }
  }
}

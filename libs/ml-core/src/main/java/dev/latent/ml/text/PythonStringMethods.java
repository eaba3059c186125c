package dev.latent.ml.text;

import java.beans.FeatureDescriptor;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;
import org.jspecify.annotations.Nullable;

/**
 * Python's {@code str} methods for Jinjava. Hugging Face chat templates are written for Python's
 * Jinja, where {@code message.content.startswith('<tool')} or {@code .strip('\n')} are ordinary
 * calls; Jinjava would look for Java methods of {@link String} and fail.
 */
final class PythonStringMethods extends ELResolver {

  @Override
  public @Nullable Object invoke(
      ELContext context, @Nullable Object base, Object method, Class<?> @Nullable [] paramTypes,
      Object @Nullable [] params) {
    if (!(base instanceof String s)) {
      return null;
    }
    Object[] args = params == null ? new Object[0] : params;
    Object result = switch (method.toString()) {
      case "startswith" -> startsWith(s, args[0]);
      case "endswith" -> s.endsWith(str(args[0]));
      case "strip" -> args.length == 0 ? s.strip() : rstrip(lstrip(s, str(args[0])), str(args[0]));
      case "lstrip" -> args.length == 0 ? s.stripLeading() : lstrip(s, str(args[0]));
      case "rstrip" -> args.length == 0 ? s.stripTrailing() : rstrip(s, str(args[0]));
      case "split" -> args.length == 0
          ? Arrays.asList(s.strip().split("\\s+")) : split(s, str(args[0]));
      case "upper" -> s.toUpperCase(Locale.ROOT);
      case "lower" -> s.toLowerCase(Locale.ROOT);
      case "title" -> title(s);
      case "replace" -> s.replace(str(args[0]), str(args[1]));
      case "find" -> s.indexOf(str(args[0]));
      case "count" -> count(s, str(args[0]));
      default -> NOT_PYTHON;
    };
    if (result == NOT_PYTHON) {
      return null;
    }
    context.setPropertyResolved(true);
    return result;
  }

  private static final Object NOT_PYTHON = new Object();

  private static String str(Object o) {
    return String.valueOf(o);
  }

  private static boolean startsWith(String s, Object prefix) {
    if (prefix instanceof List<?> options) {
      return options.stream().anyMatch(p -> s.startsWith(str(p)));
    }
    return s.startsWith(str(prefix));
  }

  private static String lstrip(String s, String chars) {
    int i = 0;
    while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) {
      i++;
    }
    return s.substring(i);
  }

  private static String rstrip(String s, String chars) {
    int i = s.length();
    while (i > 0 && chars.indexOf(s.charAt(i - 1)) >= 0) {
      i--;
    }
    return s.substring(0, i);
  }

  // Python splits on the literal separator; String.split would read it as a regex.
  private static List<String> split(String s, String sep) {
    var parts = new java.util.ArrayList<String>();
    int from = 0;
    int at;
    while ((at = s.indexOf(sep, from)) >= 0) {
      parts.add(s.substring(from, at));
      from = at + sep.length();
    }
    parts.add(s.substring(from));
    return parts;
  }

  private static int count(String s, String sub) {
    return sub.isEmpty() ? s.length() + 1 : split(s, sub).size() - 1;
  }

  private static String title(String s) {
    var out = new StringBuilder(s.length());
    boolean start = true;
    for (char c : s.toCharArray()) {
      out.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
      start = !Character.isLetter(c);
    }
    return out.toString();
  }

  @Override
  public @Nullable Object getValue(ELContext context, @Nullable Object base, Object property) {
    return null;
  }

  @Override
  public @Nullable Class<?> getType(ELContext context, @Nullable Object base, Object property) {
    return null;
  }

  @Override
  public void setValue(ELContext context, @Nullable Object base, Object property, Object value) {}

  @Override
  public boolean isReadOnly(ELContext context, @Nullable Object base, Object property) {
    return true;
  }

  @Override
  public @Nullable Iterator<FeatureDescriptor> getFeatureDescriptors(
      ELContext context, @Nullable Object base) {
    return null;
  }

  @Override
  public @Nullable Class<?> getCommonPropertyType(ELContext context, @Nullable Object base) {
    return null;
  }
}

package dev.latent.ml.text;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import jinjava.javax.el.CompositeELResolver;
import org.jspecify.annotations.Nullable;

/**
 * A model's chat template ({@code chat_template} in {@code tokenizer_config.json}) rendered with
 * Jinjava, configured to behave like the Python Jinja the templates are written for: whitespace
 * control on expressions, Python operator precedence, Python {@code str} methods, and two
 * rewrites of syntax Jinjava's parser lacks ({@code [::-1]}, expressions as keyword arguments).
 */
public final class ChatTemplate {

  /** ChatML, for models whose tokenizer has no template (the seeded and base models). */
  public static final String CHATML = "{%- for message in messages %}"
      + "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}"
      + "{%- endfor %}"
      + "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

  private static final Jinjava JINJAVA = newJinjava();
  private static final Pattern NAMESPACE_CALL = Pattern.compile("namespace\\(([^()]*)\\)");

  private final String template;
  private final @Nullable String bosToken;
  private final @Nullable String eosToken;

  public ChatTemplate(String template, @Nullable String bosToken, @Nullable String eosToken) {
    this.template = pythonSyntax(template);
    this.bosToken = bosToken;
    this.eosToken = eosToken;
  }

  private static Jinjava newJinjava() {
    var resolver = new CompositeELResolver();
    resolver.add(new PythonStringMethods());
    resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
    var config = JinjavaConfig.newBuilder()
        .withElResolver(resolver)
        .withLegacyOverrides(LegacyOverrides.newBuilder()
            .withUseTrimmingForNotesAndExpressions(true)
            .withUseNaturalOperatorPrecedence(true)
            .withParseWhitespaceControlStrictly(true)
            .withKeepNullableLoopValues(true)
            .build())
        .build();
    var jinjava = new Jinjava(config);
    // Templates raise errors for unsupported conversations; we surface them as exceptions.
    jinjava.getGlobalContext().registerFunction(new com.hubspot.jinjava.lib.fn.ELFunctionDefinition(
        "", "raise_exception", ChatTemplate.class, "raiseException", String.class));
    return jinjava;
  }

  /** Called by templates as {@code raise_exception('...')}. */
  public static String raiseException(String message) {
    throw new TemplateRaised(message);
  }

  // Jinjava does not parse a step slice; templates only ever use it to reverse.
  // In keyword arguments it binds `a=b|length - 1` as `(a=b|length) - 1`: parenthesise values.
  static String pythonSyntax(String template) {
    String reversed = template.replace("[::-1]", "|reverse");
    Matcher m = NAMESPACE_CALL.matcher(reversed);
    var out = new StringBuilder();
    while (m.find()) {
      String args = java.util.Arrays.stream(m.group(1).split(","))
          .map(arg -> {
            int eq = arg.indexOf('=');
            return eq < 0 ? arg : arg.substring(0, eq + 1) + "(" + arg.substring(eq + 1).strip() + ")";
          })
          .collect(Collectors.joining(","));
      m.appendReplacement(out, Matcher.quoteReplacement("namespace(" + args + ")"));
    }
    m.appendTail(out);
    return out.toString();
  }

  // raise_exception's own message sits at the bottom of the cause chain Jinjava wraps it in.
  private static String reason(TemplateError error) {
    Throwable t = error.getException();
    while (t != null) {
      if (t instanceof TemplateRaised raised) {
        return raised.getMessage();
      }
      t = t.getCause();
    }
    return error.getMessage();
  }

  private static final class TemplateRaised extends RuntimeException {
    TemplateRaised(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The prompt text for a conversation.
   *
   * @param addGenerationPrompt end with the header that starts the assistant's turn
   * @throws IllegalArgumentException when the template rejects the conversation or fails
   */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
    List<Map<String, Object>> wire = new ArrayList<>(messages.size());
    for (ChatMessage message : messages) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("role", message.role());
      m.put("content", message.content());
      if (message.reasoningContent() != null) {
        m.put("reasoning_content", message.reasoningContent());
      }
      wire.add(m);
    }
    Map<String, Object> context = new HashMap<>();
    context.put("messages", wire);
    context.put("add_generation_prompt", addGenerationPrompt);
    context.put("bos_token", bosToken == null ? "" : bosToken);
    context.put("eos_token", eosToken == null ? "" : eosToken);
    context.put("tools", null);
    RenderResult result = JINJAVA.renderForResult(template, context);
    List<TemplateError> fatal = result.getErrors().stream()
        .filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL).toList();
    if (!fatal.isEmpty()) {
      throw new IllegalArgumentException("chat template failed: " + reason(fatal.getFirst()));
    }
    return result.getOutput();
  }
}

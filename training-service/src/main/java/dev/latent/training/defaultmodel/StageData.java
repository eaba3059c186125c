package dev.latent.training.defaultmodel;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The generated data of a default-model run, all from the recipe's seed: the pretraining documents,
 * the SFT tasks, the DPO prompts, and the held-out tasks, whose prompts occur in none of the others.
 */
record StageData(List<Tasks.Task> pretrainFacts, List<Tasks.Task> sft, List<Tasks.Task> dpoPrompts,
    List<Tasks.Task> heldOut) {

  static StageData generate(long seed, int pretrainDocs, int factsPerDoc, int sftExamples, int dpoPrompts, int evalTasks) {
    List<Tasks.Task> sft = Tasks.generate(seed * 31 + 1, sftExamples);
    List<Tasks.Task> facts = Tasks.generate(seed * 31 + 2, pretrainDocs * factsPerDoc);
    List<Tasks.Task> dpo = Tasks.generate(seed * 31 + 3, dpoPrompts);
    Set<String> seen = new HashSet<>();
    sft.forEach(t -> seen.add(t.prompt()));
    facts.forEach(t -> seen.add(t.prompt()));
    dpo.forEach(t -> seen.add(t.prompt()));
    List<Tasks.Task> heldOut = new ArrayList<>();
    for (Tasks.Task t : Tasks.generate(seed * 31 + 4, evalTasks * 4)) {
      if (heldOut.size() < evalTasks && seen.add(t.prompt())) {
        heldOut.add(t);
      }
    }
    return new StageData(facts, sft, dpo, heldOut);
  }

  /** Plain-text pretraining documents of {@code factsPerDoc} worked tasks each. */
  Path writePretrain(Path file, int factsPerDoc) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int d = 0; d + factsPerDoc <= pretrainFacts.size(); d += factsPerDoc) {
      StringBuilder doc = new StringBuilder();
      for (int k = 0; k < factsPerDoc; k++) {
        doc.append(k == 0 ? "" : " ").append(pretrainFacts.get(d + k).fact());
      }
      JsonObject o = new JsonObject();
      o.addProperty("text", doc.toString());
      sb.append(o).append('\n');
    }
    return Files.writeString(file, sb);
  }

  /** Chat records (user prompt, assistant {@code <think>…</think>answer}). */
  static Path writeChat(Path file, List<Tasks.Task> tasks) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (Tasks.Task t : tasks) {
      JsonArray messages = new JsonArray();
      JsonObject user = new JsonObject();
      user.addProperty("role", "user");
      user.addProperty("content", t.prompt());
      JsonObject assistant = new JsonObject();
      assistant.addProperty("role", "assistant");
      assistant.addProperty("content", t.completion());
      messages.add(user);
      messages.add(assistant);
      JsonObject o = new JsonObject();
      o.add("messages", messages);
      sb.append(o).append('\n');
    }
    return Files.writeString(file, sb);
  }
}

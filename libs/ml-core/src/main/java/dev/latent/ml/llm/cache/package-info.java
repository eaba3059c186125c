/** Paged KV cache: fixed-size token blocks per sequence, for MHA/GQA/MQA (K and V) and MLA (c_kv and k_rope). */
@NullMarked
package dev.latent.ml.llm.cache;

import org.jspecify.annotations.NullMarked;

package dev.latent.training.files;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code latent.training.files.*}.
 *
 * @param dir where uploaded files are kept
 * @param maxBytes largest accepted file (413 above)
 * @param maxLines most JSONL lines in one file (400 above)
 */
@ConfigurationProperties("latent.training.files")
public record FilesProperties(Path dir, @DefaultValue("100MB") DataSize maxBytes,
    @DefaultValue("1000000") int maxLines) {}

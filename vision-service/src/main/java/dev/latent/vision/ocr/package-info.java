/** OCR: PP-OCRv4 detection + recognition. */
@NullMarked
package dev.latent.vision.ocr;

import org.jspecify.annotations.NullMarked;

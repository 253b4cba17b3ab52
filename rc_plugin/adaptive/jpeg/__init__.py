"""The JPEG tile (format 15): a tile that is a window of a JPEG's decoding, its quantised coefficients coded
(coefficients) and decoded as libjpeg-turbo decodes them (inverse), the residual coded as any other tile (decode,
layout); the encoder recovers the JPEG from the pixels (recover, encode: encoder only)."""

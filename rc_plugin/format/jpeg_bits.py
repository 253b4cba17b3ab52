"""The JPEG tile's bitstream-deciding constants (format 15, rc_plugin.adaptive.jpeg; docs/format.md, "JPEG tile"):
part of rc_plugin.format.bitstream's fingerprint, kept apart as the network's grids are."""
#: A JPEG tile's sampling: the luma's (h, v) factors, chroma at (1, 1); grey has one component.
JPEG_GREY, JPEG_444, JPEG_422, JPEG_440, JPEG_420 = 0, 1, 2, 3, 4
JPEG_SAMPLINGS = {JPEG_GREY: (1, 1), JPEG_444: (1, 1), JPEG_422: (2, 1), JPEG_440: (1, 2), JPEG_420: (2, 2)}
#: The decoding it reproduces (libjpeg-turbo's defaults, the JPEG and JFIF specifications): the integer inverse DCT
#: of Loeffler, Ligtenberg and Moschytz with rotations in CONST_BITS fractional bits (round(c 2**13) of each
#: cosine combination, in the order the decoder names them) and PASS1_BITS more kept between its passes; "fancy"
#: triangular upsampling; YCbCr -> RGB in YCC_BITS fractional bits with JFIF's factors as round(f 2**16).
JPEG_CONST_BITS, JPEG_PASS1_BITS = 13, 2
JPEG_IDCT_CONSTANTS = (2446, 3196, 4433, 6270, 7373, 9633, 12299, 15137, 16069, 16819, 20995, 25172)
JPEG_YCC_BITS = 16
JPEG_YCC_FACTORS = (91881, 22554, 46802, 116130)  # Cr -> R, Cb -> G, Cr -> G, Cb -> B
#: Coefficients are coded in zigzag order; |value| <= COEF_LIMIT, steps 1..255 (a table is 64 bytes in zigzag order).
JPEG_ZIGZAG = (0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,
               7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31,
               39, 46, 53, 60, 61, 54, 47, 55, 62, 63)
JPEG_COEF_LIMIT = 32767
#: A JPEG tile's JPEG is at most this many samples on a side: the largest tile side (bitstream.MAX_TILE, 1024) and a
#: margin of MCUs around it.
JPEG_MAX_SIDE = 1088
#: The coefficient model (docs/format.md, "JPEG tile"): binary decisions, each in its context an adaptive
#: probability in 1/2**16 that moves by 1/(n + 2) of its error after n observations (n at most COUNT_LIMIT), coded
#: in 1/2**12. A zigzag position's band (BANDS), a neighbour magnitude's bucket (MAGNITUDE_BUCKETS: the upper bounds of
#: buckets 0.., the last open), and at most LENGTH_BITS bits of a magnitude's length.
JPEG_COUNT_LIMIT = 255
JPEG_BANDS = (0, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4) + (5,) * 13 + (6,) * 36
JPEG_MAGNITUDE_BUCKETS = (0, 1, 2, 4, 8, 16)
JPEG_LENGTH_BITS = 16

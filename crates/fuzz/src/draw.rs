//! Drawing structured values from the fuzzer's bytes: a cursor that yields zeros once spent.

/// A cursor over the fuzzer's bytes.
pub struct Draw<'a> {
    data: &'a [u8],
}

impl<'a> Draw<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Draw { data }
    }

    /// One byte, or zero when the input is spent.
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&first, rest)) => {
                self.data = rest;
                first
            }
            None => 0,
        }
    }

    /// A little-endian u16.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    /// A little-endian u32.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// The bytes up to the next `\n` (not included; the newline is consumed).
    pub fn line(&mut self) -> &'a [u8] {
        let end = self
            .data
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(self.data.len());
        let line = &self.data[..end];
        self.data = self.data.get(end + 1..).unwrap_or(&[]);
        line
    }

    /// A short text drawn as a line, lossily UTF-8, at most `max` characters.
    pub fn text(&mut self, max: usize) -> String {
        String::from_utf8_lossy(self.line())
            .chars()
            .take(max)
            .collect()
    }

    /// The bytes not drawn yet.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

"""dangjian: records and compliance for Party organisations in government organs."""

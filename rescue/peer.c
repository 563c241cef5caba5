/* lifeline-peer.  SKELETON: filled in by the lifeline-peer work. */
int main(void)
{
	return 100;
}
